// kazoo's Party and ShallowParty: a pool of members, each an ephemeral child of the party's node
// (docs/recipes.md#party). Party names it `<32-hex uuid>__party__` and keeps the identifier in its
// data, so listing the members reads every node; ShallowParty names it `<uuid>-<identifier>`, so
// one getChildren lists them. kazoo and zookit members share one party.
//
// kazoo's member is gone for good once its session expires: nothing creates its node again. Here
// `rejoinAfterExpiry` (off by default, as kazoo) makes a member that has joined and not left create
// its node again in each new session (docs/recipes.md#party-rejoin).

import {
  ClientState,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
} from '../lib/recipe-client.js';
import { isConnectionProblem, reportFault } from './faults.js';
import { readIdentifiers } from './identifiers.js';

/** kazoo's `Party._NODE_NAME`: the mark of a Party member's node name. */
export const PARTY_MARKER = '__party__';

/** Options of Party and ShallowParty. */
export interface PartyOptions {
  /** Create the member's node again after its session expired, while joined (default false, as kazoo). */
  rejoinAfterExpiry?: boolean;
}

const newUuid = (): string => globalThis.crypto.randomUUID().replace(/-/g, '');

/** What Party and ShallowParty share: join, leave, size, and the member list as an async iterable. */
export abstract class BaseParty implements AsyncIterable<string>, AsyncDisposable {
  /** The party's node. */
  readonly path: string;
  /** This member's node name. */
  abstract readonly node: string;
  /** Whether this member has joined and not left. */
  participating = false;
  protected readonly client: RecipeClient;
  /** The identifier as the node's data (kazoo's `str(identifier or "")`). */
  protected readonly data: string;
  private readonly rejoinAfterExpiry: boolean;
  private ensuredPath = false;
  /** The session the member's node was made in. */
  private session: bigint | undefined;
  private readonly onState = (state: ClientState): void => {
    if (
      state === ClientState.CONNECTED &&
      this.participating &&
      this.client.clientId?.sessionId !== this.session
    )
      void this.rejoin();
  };

  constructor(client: RecipeClient, path: string, identifier: string | undefined, options: PartyOptions) {
    this.client = client;
    this.path = path;
    this.data = identifier ?? '';
    this.rejoinAfterExpiry = options.rejoinAfterExpiry ?? false;
  }

  /** This member's node path. */
  get memberPath(): string {
    return joinPath(this.path, this.node);
  }

  /** Joins the party: creates this member's ephemeral node (already there is fine). */
  async join(): Promise<void> {
    await this.client.retry(() => this.createNode());
    this.participating = true;
    if (this.rejoinAfterExpiry) {
      this.client.off('state', this.onState);
      this.client.on('state', this.onState);
    }
  }

  /** Leaves the party; resolves whether this member's node was there to delete. */
  async leave(): Promise<boolean> {
    this.participating = false;
    this.client.off('state', this.onState);
    try {
      await this.client.retry(() => this.client.delete(this.memberPath));
      return true;
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }

  /** The members (Party: their identifiers from the data; ShallowParty: from the names). */
  abstract members(): Promise<string[]>;

  /** How many members there are (kazoo's `len(party)`). */
  async size(): Promise<number> {
    return (await this.memberNodes()).length;
  }

  /** `for await (const member of party)`: the members as `members()` lists them now. */
  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    yield* await this.members();
  }

  /** Leaves the party (`await using member = zk.Party(...)`). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.participating) await this.leave();
    this.client.off('state', this.onState);
  }

  /** The party node's children that are members. */
  protected async memberNodes(): Promise<string[]> {
    const { client } = this;
    await this.ensureParent();
    return client.retry(() => client.getChildren(this.path));
  }

  private async ensureParent(): Promise<void> {
    if (this.ensuredPath) return;
    const { client } = this;
    await client.retry(() => client.ensurePath(this.path));
    this.ensuredPath = true;
  }

  private async createNode(): Promise<void> {
    await this.ensureParent();
    const session = this.client.clientId?.sessionId;
    try {
      await this.client.create(this.memberPath, this.data, { ephemeral: true });
    } catch (error) {
      // Made already: a create whose reply was lost, or a second join.
      if (!(error instanceof NodeExistsError)) throw error;
    }
    this.session = session;
  }

  /** In a new session, while joined: the node again. */
  private async rejoin(): Promise<void> {
    try {
      await this.client.retry(() => this.createNode());
    } catch (error) {
      // A connection problem ends with the next state event, which tries again.
      if (!isConnectionProblem(this.client, error)) reportFault(this.client, error);
    }
  }
}

/** A member of a party shared with kazoo's Party: node `<uuid>__party__`, data = identifier. */
export class Party extends BaseParty {
  /** This member's node name, `<32 hex>__party__`. */
  readonly node: string;

  constructor(client: RecipeClient, path: string, identifier?: string, options: PartyOptions = {}) {
    super(client, path, identifier, options);
    this.node = newUuid() + PARTY_MARKER;
  }

  /** Every member's identifier, read from its node's data (members that leave meanwhile are skipped). */
  async members(): Promise<string[]> {
    const names = await this.memberNodes();
    return this.client.retry(() => readIdentifiers(this.client, this.path, names));
  }

  protected override async memberNodes(): Promise<string[]> {
    return (await super.memberNodes()).filter((child) => child.includes(PARTY_MARKER));
  }
}

/**
 * A member of a party shared with kazoo's ShallowParty: node `<uuid>-<identifier>` (the identifier
 * must make a valid node name), listed by one getChildren.
 */
export class ShallowParty extends BaseParty {
  /** This member's node name, `<32 hex>-<identifier>`. */
  readonly node: string;

  constructor(client: RecipeClient, path: string, identifier?: string, options: PartyOptions = {}) {
    super(client, path, identifier, options);
    this.node = `${newUuid()}-${this.data}`;
  }

  /** Every member's identifier: the text after the first `-` of each child's name. */
  async members(): Promise<string[]> {
    return (await this.memberNodes()).map((child) => child.slice(child.indexOf('-') + 1));
  }
}
