// Package qmail reads qmail's logs as qmailanalog does: it parses
// qmail-send's lines and tcpserver's and rblsmtpd's, joins qmail-send's
// into messages and delivery attempts ([Joiner], as matchup does), counts
// them ([Collector], as zoverall, zfailures, zdeferrals, zsenders,
// zrecipients and zrhosts do) and traces one message, address or qp
// ([Tracer]), reading multilog logdirs directly (see [Read]).
//
// # Joining by time
//
// qmail-send names a message by its inode number and a delivery by a
// number it counts from 1 again when it restarts: both are reused. A
// delivery line belongs to the latest "starting delivery" with its number
// that has no result yet; a message line to the latest "new msg" with its
// id that has no "end msg" yet. Lines are joined in the order of their
// stamps (several logdirs are merged by time).
//
// # Honest edges
//
// A range of lines can cut a message: its "new msg" before the range, its
// "end msg" after it. Such messages are counted, not guessed: an "end msg"
// with no "new msg" read counts in Ended and EndedUnstarted, with no queue
// time; a result with no start read counts in its result and in
// ResultsUnstarted, with no delay; messages and deliveries still open at
// the end are counted in OpenMessages and OpenDeliveries. With a cursor
// ([State]) they are carried to the next run, so that runs over
// consecutive ranges count what one run over them all counts. "status:
// exiting" drops the deliveries still in progress (qmail-send waits for
// them before it exits, so a result lost is counted as Abandoned).
// Lines are joined in the order they were logged, whatever their stamps;
// a delay or queue time stamped negative (the clock stepped back between
// its two lines) counts as 0, in ClockBack.
// A line without a stamp is the rest of a line multilog cut at its size
// limit: it is counted as Cut, not parsed. Lines that are none of the
// kinds [Parse] knows are counted as Unknown.
//
// The package does no printing of its own: it writes reports to the
// [io.Writer] it is given.
package qmail
