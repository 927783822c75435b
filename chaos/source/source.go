package source

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/mix"
)

// Errors callers branch on with errors.Is.
var (
	// ErrStale is matched by the error a source yields when it has had no
	// good answer for longer than its staleness limit. A [Runner] that
	// receives it switches every fault off (see [Runner]).
	ErrStale = errors.New("source: no good answer within the staleness limit")
	// ErrTooLarge is matched by the error of a plan document larger than
	// the source's size limit (see [WithMaxBytes]); no source accepts one
	// larger than [chaos.MaxPlanSize].
	ErrTooLarge = errors.New("source: plan document too large")
	// ErrRedirect is matched by the error of an HTTP poll that was
	// redirected where the source does not follow (see [WithRedirects]).
	ErrRedirect = errors.New("source: redirect refused")
	// ErrStatus is matched by the error of an HTTP answer other than 200
	// or 304.
	ErrStatus = errors.New("source: unexpected http status")
	// ErrRunning is returned by [Runner.Run] when the runner is already
	// running.
	ErrRunning = errors.New("source: runner already running")
)

// Update is one thing a [Source] yields: a plan to apply, or the reason it
// could not produce one.
type Update struct {
	// Plan is the plan to apply; the zero Plan switches every fault off.
	// It is ignored when Err is set.
	Plan chaos.Plan
	// Version identifies the document the plan came from, for records: the
	// plan's own Version when it has one, otherwise something the source
	// knows (an ETag, a hash of the document). Empty is allowed.
	Version string
	// Err reports that the source could not produce a good plan this time:
	// the document was missing, malformed, too large, or unreachable. A
	// [Runner] logs and counts it and keeps the plan it has. An Err that
	// matches [ErrStale] is the fail-safe: the runner switches every fault
	// off.
	Err error
}

// Source is a place plans come from. Implement it to feed an engine from a
// system this package does not know; see the package example.
//
// Watch yields the current plan as soon as it can, then a new Update each
// time the plan changes, until ctx is done; it then returns nil. A one-shot
// source (such as [Env]) returns nil once it has yielded. Watch returns an
// error only when it cannot go on at all (a malformed URL, say); a bad or
// unreachable document is an Update with Err set, and Watch carries on.
// Watch must call yield from one goroutine at a time and must not call it
// after returning; yield does not block for long (it applies the plan).
//
// Name identifies the source in records and logs, as in "env",
// "file:/etc/faultline.json" or "https://config/plan". It must not hold
// secrets.
type Source interface {
	Name() string
	Watch(ctx context.Context, yield func(Update)) error
}

// decoded turns a document into an Update: the plan and its version, or the
// decoding error wrapped with what was being read.
func decoded(doc []byte, what, fallbackVersion string) Update {
	p, err := chaos.ParsePlan(string(doc))
	if err != nil {
		return Update{Err: fmt.Errorf("source: decoding %s: %w", what, err)}
	}
	return Update{Plan: p, Version: version(p, fallbackVersion, doc)}
}

// version names a document: the plan's own version, else fallback, else a
// hash of the document.
func version(p chaos.Plan, fallback string, doc []byte) string {
	switch {
	case p.Version != "":
		return p.Version
	case fallback != "":
		return fallback
	}
	h := mix.String(string(doc))
	return strconv.FormatUint(h, 16)
}
