// TLS material named by file (`caFile`, `certFile`, `keyFile`, `pfxFile`), read again for every
// connection attempt so a certificate renewed on disk (cert-manager, a Vault agent, a cron job) is
// presented at the next reconnect without restarting the client. Reading happens where the socket
// is made, in the connection loop: the file names are plain data, so the loop may run in a worker
// thread (LoopInit crosses by structured clone) and still read them there. The loop hands the
// handler ordinary Node `tls.connect` options (buffers), so handlers and in-memory test transports
// never learn about files. A file that cannot be used fails that one attempt with TlsFileError
// naming the option and the path, never the contents; the loop goes on to the next host and the
// next pass, and reads the file again then. docs/tls.md#rotation

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { InvalidArgumentError, TlsFileError } from '../errors.js';

/** TLS material named by path, read again for every connection attempt (docs/tls.md#rotation). */
export interface TlsFileOptions {
  /** PEM file of the CA certificates to trust (instead of `ca`). */
  caFile?: string;
  /** PEM file of the client certificate, with any intermediates (instead of `cert`). */
  certFile?: string;
  /** PEM file of the client certificate's private key (instead of `key`); `passphrase` decrypts it. */
  keyFile?: string;
  /** PKCS12 file holding the client certificate and key (instead of `pfx`); `passphrase` opens it. */
  pfxFile?: string;
}

/** The client's `tls` option: Node `tls.connect` options, and TLS files read on every attempt. */
export type TlsOptions = TlsConnectionOptions & TlsFileOptions;

/** Each file option and the inline Node option it stands for. */
const FILE_OPTIONS = { caFile: 'ca', certFile: 'cert', keyFile: 'key', pfxFile: 'pfx' } as const;
type FileOption = keyof typeof FILE_OPTIONS;

/**
 * Throws InvalidArgumentError (argument `tls`) for a file option that is not a non-empty string,
 * or one given together with the inline option it stands for (`certFile` and `cert`).
 */
export function checkTlsFileOptions(tls: TlsOptions): void {
  for (const [fileOption, inline] of Object.entries(FILE_OPTIONS) as Array<[FileOption, string]>) {
    const file = tls[fileOption];
    if (file === undefined) continue;
    if (typeof file !== 'string' || file === '') {
      throw new InvalidArgumentError('tls', `tls.${fileOption} must be a non-empty file path`);
    }
    if ((tls as Record<string, unknown>)[inline] !== undefined) {
      throw new InvalidArgumentError(
        'tls',
        `tls.${fileOption} and tls.${inline} name the same thing: give one of them`,
      );
    }
  }
}

/** Whether `tls` names any file. */
export function hasTlsFiles(tls: TlsOptions): boolean {
  return Object.keys(FILE_OPTIONS).some((option) => tls[option as FileOption] !== undefined);
}

/**
 * Node `tls.connect` options for one attempt: every named file read now and checked (a CA or
 * client certificate parses, the key opens with `passphrase`, the certificate and key match), in
 * place of its file option. Rejects with TlsFileError naming the first file that cannot be used.
 */
export async function loadTlsFiles(tls: TlsOptions): Promise<TlsConnectionOptions> {
  if (!hasTlsFiles(tls)) return tls;
  const { caFile, certFile, keyFile, pfxFile, ...connect } = tls;
  const loaded: TlsConnectionOptions = { ...connect };
  if (caFile !== undefined) {
    loaded.ca = await read('caFile', caFile);
    check('caFile', caFile, () => new X509Certificate(loaded.ca as Buffer), 'no PEM certificate in it');
  }
  if (certFile !== undefined) {
    loaded.cert = await read('certFile', certFile);
    check('certFile', certFile, () => new X509Certificate(loaded.cert as Buffer), 'no PEM certificate in it');
  }
  if (keyFile !== undefined) {
    loaded.key = await read('keyFile', keyFile);
    check(
      'keyFile',
      keyFile,
      () => createPrivateKey({ key: loaded.key as Buffer, passphrase: connect.passphrase }),
      connect.passphrase === undefined
        ? 'no PEM private key in it (or it is encrypted and no passphrase was given)'
        : 'no PEM private key in it, or the passphrase does not open it',
    );
  }
  if (pfxFile !== undefined) {
    loaded.pfx = await read('pfxFile', pfxFile);
    check(
      'pfxFile',
      pfxFile,
      () => createSecureContext({ pfx: loaded.pfx, passphrase: connect.passphrase }),
      'not a PKCS12 file, or the passphrase does not open it',
    );
  }
  // A renewal caught half-way (the new certificate written, the old key still there) fails here,
  // named, rather than as an anonymous OpenSSL error inside the handshake.
  if (
    (certFile !== undefined || keyFile !== undefined) &&
    loaded.cert !== undefined &&
    loaded.key !== undefined
  ) {
    const [option, file] = certFile !== undefined ? ['certFile', certFile] : ['keyFile', keyFile!];
    check(
      option,
      file,
      () => createSecureContext({ cert: loaded.cert, key: loaded.key, passphrase: connect.passphrase }),
      'the certificate and the private key do not match',
    );
  }
  return loaded;
}

async function read(option: FileOption, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    // Node's message names the path and the reason (ENOENT, EACCES, EISDIR), nothing of the contents.
    const code = (err as { code?: unknown }).code;
    throw new TlsFileError(option, file, `cannot be read (${typeof code === 'string' ? code : String(err)})`);
  }
}

/** Runs `parse`; on any error throws TlsFileError with `reason` (OpenSSL's own text can be cryptic). */
function check(option: string, file: string, parse: () => unknown, reason: string): void {
  try {
    parse();
  } catch (err) {
    const detail = (err as Error)?.message;
    throw new TlsFileError(option, file, `${reason}${detail ? ` (${detail})` : ''}`);
  }
}
