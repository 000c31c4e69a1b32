// Package interrupt makes a command line process stop well on SIGINT and
// SIGTERM: the first signal cancels the command's context, a second one or
// a grace period running out ends the process at once, and the exit code
// says which signal stopped it (130, 143). Reader makes reads of standard
// input, which may block forever, end when a context does.
//
// It knows nothing of the project's commands: the caller picks the grace
// period and runs the command.
package interrupt
