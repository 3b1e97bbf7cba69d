import {
  BadVersionError,
  ConnectionLossError,
  errorClassFor,
  errorFromCode,
  NodeExistsError,
  NoNodeError,
  ThrottledOpError,
  ZooKeeperError,
} from '../../lib/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';

describe('ZooKeeper error classes', () => {
  it.each(Object.entries(ErrorCode).filter(([, code]) => code !== 0))(
    '%s (%i) becomes an error of its own class carrying the code and its name',
    (name, code) => {
      const err = errorFromCode(code, '/p');
      expect(err).toBeInstanceOf(ZooKeeperError);
      expect(err.constructor).not.toBe(ZooKeeperError);
      expect(err.code).toBe(code);
      expect(err.codeName).toBe(name);
      expect(err.path).toBe('/p');
      expect(err.message).toBe(`${name} (${code}): /p`);
      expect(err.name).toBe(errorClassFor(code).name);
    },
  );

  it('gives each code a distinct class that instanceof can tell apart', () => {
    const classes = Object.values(ErrorCode)
      .filter((c) => c !== 0)
      .map(errorClassFor);
    expect(new Set(classes).size).toBe(classes.length);
    expect(errorFromCode(-101)).toBeInstanceOf(NoNodeError);
    expect(errorFromCode(-101)).not.toBeInstanceOf(NodeExistsError);
    expect(errorFromCode(-103)).toBeInstanceOf(BadVersionError);
    expect(errorFromCode(-127)).toBeInstanceOf(ThrottledOpError);
  });

  it('builds the same error from the class as from the code', () => {
    const direct = new ConnectionLossError(undefined, '/x');
    expect(direct.code).toBe(-4);
    expect(direct.codeName).toBe('CONNECTIONLOSS');
    expect(direct.name).toBe('ConnectionLossError');
  });

  it('turns an unknown code into a plain ZooKeeperError that keeps the number', () => {
    const err = errorFromCode(-999);
    expect(err.constructor).toBe(ZooKeeperError);
    expect(err.code).toBe(-999);
    expect(err.codeName).toBe('UNKNOWN(-999)');
    expect(err.path).toBeUndefined();
  });
});
