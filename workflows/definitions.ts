// The contract shared by the API, the worker, the workflows and the tests: task queue, workflow ids,
// inputs, results, updates, queries and search attributes, one file per lifecycle under contracts/, and the
// refusals of all of them in one (contracts/refusals.ts).
// Workflow-safe: no Node built-ins.
export * from './contracts/common';
export * from './contracts/refusals';
export * from './contracts/invitation';
export * from './contracts/reseller-change';
export * from './contracts/subscription';
export * from './contracts/order';
export * from './contracts/billing';
export * from './contracts/purchase-authorization';
export * from './contracts/renewal';
export * from './contracts/user-invitation';
export * from './contracts/webhook-delivery';
export * from './contracts/three-year-commitment';
