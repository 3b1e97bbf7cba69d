// `await using` looks Symbol.asyncDispose up when it runs, and a class with a
// `[Symbol.asyncDispose]()` method reads it when the class is defined. Node 20.4+ defines it as the
// registered symbol 'nodejs.asyncDispose'; Node 20.0-20.3 and other realms (vm contexts, such as
// jest's test environment) have none. There, and only there, it is defined as that same registered
// symbol, as Node defines it, so every realm of the process agrees on one key. Every module with
// such a class imports this one first (the client, watch streams, recipes through
// recipe-client.ts, the harness through the `zookit` entry). docs/values.md#disposal

if (typeof Symbol.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('nodejs.asyncDispose') });
}

export {};
