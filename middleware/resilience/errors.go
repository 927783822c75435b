package resilience

// aliasError is a sentinel error with its own message that also matches the
// error it stands for, so that errors.Is finds both: ErrOpen matches
// gobreaker.ErrOpenState, ErrTimeout matches context.DeadlineExceeded.
type aliasError struct {
	msg  string
	also error
}

func (e *aliasError) Error() string { return e.msg }
func (e *aliasError) Unwrap() error { return e.also }

// timeoutError is an aliasError that also reports Timeout() == true, like
// context.DeadlineExceeded and net.Error timeouts.
type timeoutError struct{ aliasError }

func (e *timeoutError) Timeout() bool { return true }
