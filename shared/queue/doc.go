// Package queue is the queue port: named topics of messages delivered at least once, with a visibility
// timeout, delayed delivery and a dead-letter topic after MaxAttempts deliveries, as SQS (with a redrive
// policy) and Pub/Sub (with a dead-letter policy) give them. Consume runs a handler over a topic with
// acknowledgement, retry back-off and visibility extension for long handlers, so services only write
// func(ctx, Delivery) error.
//
// Adapters: sqlitequeue (embedded default, durable), memqueue (tests). Every adapter passes queuetest.Run.
package queue
