// Package mail holds the mail adapters of ports.Mailer. Log is the one for
// development and for deployments without a mail service: it writes a log
// line saying that a message would have been sent.
package mail
