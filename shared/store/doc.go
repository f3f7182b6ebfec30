// Package store is the store port: versioned items in partitions, read by key, listed by sort-key order, and
// written atomically with conditions. Every state transition of the engine is a conditional write here, so two
// instances of a service (or a redelivered message) can never both move a job from queued to running.
//
// The model is the one DynamoDB, Firestore and SQLite can all give cheaply: an item lives at a Key (a partition
// key and a sort key); Query lists one partition in sort-key order with paging; Write applies up to MaxOps puts,
// deletes and checks in one transaction; Incr is an atomic counter. Typed aggregates (pipelines, workflows, jobs)
// and their key layout live in package repo, not here.
//
// Adapters: sqlitestore (embedded default), memstore (tests). Every adapter passes storetest.Run.
package store
