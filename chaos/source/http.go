package source

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/faultline-go/faultline/internal/mix"
)

// HTTP returns a source named after the URL (its password, if any,
// redacted) that polls rawURL with GET for a plan document, JSON or text.
//
//   - It polls every interval ([WithInterval], default
//     [DefaultHTTPInterval]), spread by a jitter ([WithJitter], default
//     ±10%).
//   - It sends the ETag of the last document it decoded as If-None-Match;
//     a 304 changes nothing.
//   - It sends a bearer token when given one ([WithBearerToken]).
//   - It bounds each request by a timeout ([WithTimeout], default
//     [DefaultTimeout]) and each document by a size limit ([WithMaxBytes],
//     default and at most [DefaultMaxBytes]); a larger one is refused with
//     [ErrTooLarge].
//   - It follows redirects only to the URL's own origin, and never from
//     https to http ([WithRedirects]); a redirect it refuses fails the poll
//     with [ErrRedirect].
//   - It treats any other status than 200 and 304 ([ErrStatus]), a network
//     error, a timeout, a refused redirect, a document too large or one
//     that does not decode as a failure: it yields an Update with Err (the
//     last good plan stays) and retries with exponential backoff
//     (github.com/cenkalti/backoff/v4), from 1s up to the interval.
//   - It fails safe: when no good answer has come for [WithStaleAfter]
//     (default [DefaultStaleAfter]), it yields [ErrStale], on which a
//     [Runner] switches every fault off, and it forgets its ETag so that
//     the next good answer brings the whole document, which applies again.
//
// Settings that cannot work (a URL that is not absolute http or https, a
// stale limit shorter than one poll) make Watch return an error at once,
// before any request. A 200 with an empty body is the empty plan: it
// switches every fault off. With polling off (a negative [WithInterval])
// the source makes one request, yields what it got, and returns.
// The source is safe for concurrent use; each Watch keeps its own state.
func HTTP(rawURL string, opts ...HTTPOption) Source {
	s := &httpSource{
		rawURL:     rawURL,
		name:       rawURL,
		pollConfig: pollConfig{interval: DefaultHTTPInterval, maxBytes: DefaultMaxBytes},
		timeout:    DefaultTimeout,
		jitter:     DefaultJitter,
		staleAfter: DefaultStaleAfter,
	}
	u, err := url.Parse(rawURL)
	if err == nil {
		s.name = u.Redacted()
	}
	for _, o := range opts {
		o.applyHTTP(s)
	}
	base := s.client
	if base == nil {
		base = http.DefaultClient
	}
	c := *base // a copy, so that the caller's client keeps its redirect rule
	c.CheckRedirect = s.checkRedirect(base.CheckRedirect)
	s.client = &c
	s.err = s.validate(u, err)
	return s
}

// validate says why the source cannot work, or returns nil.
func (s *httpSource) validate(u *url.URL, parseErr error) error {
	switch {
	case parseErr != nil:
		return fmt.Errorf("source: bad plan url: %w", parseErr)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("source: bad plan url %q: want an absolute http or https url", s.name)
	}
	if s.staleAfter <= 0 || s.interval < 0 {
		return nil
	}
	poll := s.interval + time.Duration(s.jitter*float64(s.interval)) + max(s.timeout, 0)
	if s.staleAfter < poll {
		return fmt.Errorf("source: plan url %s: stale limit %v is shorter than one poll (interval %v, jitter ±%.0f%%, timeout %v): the fail-safe would trip between good answers",
			s.name, s.staleAfter, s.interval, s.jitter*100, max(s.timeout, 0))
	}
	return nil
}

// maxRedirects is how many redirects in a row a source follows, as many as
// Go's client follows by default.
const maxRedirects = 10

// checkRedirect returns the client's redirect rule: the source's, then
// next's, if any.
func (s *httpSource) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		from, to := via[len(via)-1].URL, req.URL
		refuse := func(why string) error {
			return fmt.Errorf("%w: %s to %s: %s", ErrRedirect, from.Redacted(), to.Redacted(), why)
		}
		switch {
		case len(via) >= maxRedirects:
			return refuse(fmt.Sprintf("stopped after %d redirects", len(via)))
		case s.redirects == RedirectNone:
			return refuse("redirects are not followed")
		case to.Scheme != "https" && slices.ContainsFunc(via, func(r *http.Request) bool { return r.URL.Scheme == "https" }):
			return refuse("from https to http")
		case s.redirects != RedirectAnyOrigin && origin(to) != origin(via[0].URL):
			return refuse("to another origin")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// origin returns u's scheme, host and port, the port filled in.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

type httpSource struct {
	pollConfig
	rawURL, name string
	client       *http.Client
	token        string
	timeout      time.Duration
	jitter       float64
	staleAfter   time.Duration // < 0: no fail-safe
	redirects    Redirects
	err          error // why Watch cannot run; nil if it can
}

func (s *httpSource) Name() string { return s.name }

// answer is the outcome of one request.
type answer struct {
	changed bool   // a new document came (false on a 304)
	etag    string // its ETag
	update  Update // its plan, when changed
	err     error  // what failed; nil for a good answer
}

func (s *httpSource) Watch(ctx context.Context, yield func(Update)) error {
	if s.err != nil {
		return s.err
	}
	if s.interval < 0 {
		deadline := time.Time{}
		if s.timeout > 0 {
			deadline = time.Now().Add(s.timeout)
		}
		a := s.fetch(ctx, deadline, "")
		switch {
		case ctx.Err() != nil:
		case a.err != nil:
			yield(Update{Err: a.err})
		default:
			yield(a.update)
		}
		return nil
	}
	// The backoff randomizes each wait by ±50%; waits are capped at the
	// interval below.
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(min(time.Second, s.interval)),
		backoff.WithMaxInterval(s.interval),
		backoff.WithMaxElapsedTime(0),
	)
	jit := newJitter()
	var (
		etag      string
		stale     bool
		lastGood  = time.Now()
		nextFetch = lastGood
		timer     = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	for {
		now := time.Now()
		if s.staleAfter > 0 && !stale && now.Sub(lastGood) >= s.staleAfter {
			stale, etag = true, ""
			yield(Update{Err: fmt.Errorf("%w: none from %s for %v", ErrStale, s.name, now.Sub(lastGood).Round(time.Millisecond))})
		}
		if !now.Before(nextFetch) {
			// A request never runs past the fail-safe's deadline, so that
			// the fail-safe trips on time.
			var deadline time.Time
			if s.timeout > 0 {
				deadline = now.Add(s.timeout)
			}
			if s.staleAfter > 0 && !stale {
				deadline = earliest(deadline, lastGood.Add(s.staleAfter))
			}
			a := s.fetch(ctx, deadline, etag)
			if ctx.Err() != nil {
				return nil
			}
			now = time.Now()
			if a.err == nil {
				lastGood, stale = now, false
				bo.Reset()
				if a.changed {
					etag = a.etag
					yield(a.update)
				}
				nextFetch = now.Add(jit.spread(s.interval, s.jitter))
			} else {
				yield(Update{Err: a.err})
				nextFetch = now.Add(min(bo.NextBackOff(), s.interval))
			}
		}
		wake := nextFetch
		if s.staleAfter > 0 && !stale {
			wake = earliest(wake, lastGood.Add(s.staleAfter))
		}
		timer.Reset(max(time.Until(wake), 0))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// earliest returns the earlier of a and b; a zero time is none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// fetch makes one request and reads its answer, by deadline unless it is
// zero.
func (s *httpSource) fetch(ctx context.Context, deadline time.Time, etag string) answer {
	if !deadline.IsZero() {
		var cancel func()
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.rawURL, nil)
	if err != nil {
		return answer{err: fmt.Errorf("source: polling plan: %w", err)}
	}
	req.Header.Set("Accept", "application/json, text/plain;q=0.9")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{err: fmt.Errorf("source: polling plan: %w", err)}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		_ = resp.Body.Close()
	}()
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		return answer{}
	case resp.StatusCode != http.StatusOK:
		return answer{err: fmt.Errorf("source: polling plan %s: %w: %s", s.name, ErrStatus, resp.Status)}
	case resp.ContentLength > s.maxBytes:
		return answer{err: fmt.Errorf("source: polling plan %s: %w (%d bytes, limit %d)", s.name, ErrTooLarge, resp.ContentLength, s.maxBytes)}
	}
	doc, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBytes+1))
	switch {
	case err != nil:
		return answer{err: fmt.Errorf("source: reading plan from %s: %w", s.name, err)}
	case int64(len(doc)) > s.maxBytes:
		return answer{err: fmt.Errorf("source: polling plan %s: %w (over the limit of %d bytes)", s.name, ErrTooLarge, s.maxBytes)}
	}
	newTag := resp.Header.Get("ETag")
	u := decoded(doc, "plan from "+s.name, strings.Trim(strings.TrimPrefix(newTag, "W/"), `"`))
	if u.Err != nil {
		return answer{err: u.Err}
	}
	return answer{changed: true, etag: newTag, update: u}
}

// jitter draws the spread of each poll from its own stream, seeded at
// random so that a fleet does not poll in step.
type jitter struct{ seed, n uint64 }

func newJitter() *jitter {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return &jitter{seed: binary.LittleEndian.Uint64(b[:])}
}

// spread returns d moved uniformly by up to ±f×d.
func (j *jitter) spread(d time.Duration, f float64) time.Duration {
	if f == 0 {
		return d
	}
	j.n++
	u := float64(mix.Mix3(j.seed, j.n, 0x6a09e667)>>11) / (1 << 53) // [0,1)
	return time.Duration(float64(d) * (1 + f*(2*u-1)))
}
