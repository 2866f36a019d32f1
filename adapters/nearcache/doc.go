// Package nearcache keeps, in each instance's memory, what the hot paths
// read on every request: the set of revoked access-token ids and the OAuth
// clients. A Follower keeps both current by reading the change log
// (ports.ChangeLog) that PostgreSQL writes in the transaction of every
// revocation and client change:
//
//   - every PollInterval (1 s), and at once when a ports.ChangeNotifier
//     (Redis pub/sub) says another instance wrote to the log;
//   - by id, remembering the ids it has not seen below the highest one it
//     has (a sequence's ids can commit out of order) and asking for them
//     again until they appear or GapTimeout passes;
//   - from scratch (each cache reloads from the store) at start and when it
//     could not read the log for longer than ResyncAfter, within the log's
//     retention.
//
// So a change committed in PostgreSQL is seen by every instance within
// milliseconds while Redis carries the notices, and within PollInterval
// plus one query otherwise, counted from when the instance reaches
// PostgreSQL again. Nothing Redis holds or loses can make an instance miss
// a change: Redis only shortens the wait.
package nearcache
