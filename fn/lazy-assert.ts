// undici requires node:assert in most of its files, and only ever calls it as `assert(condition)`.
// Loading node:assert creates process.stderr (to choose colours for its messages): with the module
// itself, about 1.5 ms before the first request of every run. fn/bundle.ts gives undici this module
// instead, as CommonJS source: it checks the condition and loads the real module only to throw its
// AssertionError. Any other member (assert.strictEqual, …) loads the real module too.
export const LAZY_ASSERT_SOURCE = `let real;
const load = () => (real ??= require('node:assert'));
const assert = (value, message) => {
  if (!value) load()(value, message);
};
module.exports = new Proxy(assert, { get: (target, key) => (key in Function.prototype ? target[key] : load()[key]) });
`;
