package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// DefaultClientTimeout bounds each request of a [Client] made without
// [WithHTTPClient]: 10 seconds.
const DefaultClientTimeout = 10 * time.Second

// maxAnswer is the largest answer a Client reads: 64 MiB, far above the
// api/stats page of 1000 points.
const maxAnswer = 64 << 20

// Client talks to an admin [Handler] over HTTP, with its bearer token:
// what the faultline command and fleet game days use to read and steer a
// service's engine from outside it. Make one with [NewClient]. A Client is
// safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// ClientOption configures a [Client] made by [NewClient].
type ClientOption interface{ applyClient(*clientConfig) }

type clientConfig struct{ hc *http.Client }

type clientOptionFunc func(*clientConfig)

func (f clientOptionFunc) applyClient(c *clientConfig) { f(c) }

// WithHTTPClient sets the HTTP client the Client sends its requests with,
// for TLS settings, a proxy or another timeout. Without it, or with nil,
// the Client uses a client of its own with a timeout of
// [DefaultClientTimeout]; the request's context bounds each call too.
func WithHTTPClient(hc *http.Client) ClientOption {
	return clientOptionFunc(func(c *clientConfig) { c.hc = hc })
}

// NewClient returns a Client of the admin handler mounted at base, as in
// "http://svc:8080/debug/faultline/" (a missing trailing slash is added),
// that sends token as its bearer token; an empty token sends none. base
// must be an absolute http or https URL without a query or fragment.
func NewClient(base, token string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return nil, fmt.Errorf("admin: client URL %q: %w", base, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("admin: client URL %q: not an absolute http or https URL", base)
	case u.Host == "":
		return nil, fmt.Errorf("admin: client URL %q: no host", base)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("admin: client URL %q: has a query or fragment; give the path the handler is mounted at", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	var c clientConfig
	for _, o := range opts {
		o.applyClient(&c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultClientTimeout}
	}
	return &Client{base: u, token: token, hc: c.hc}, nil
}

// URL returns the URL the handler is mounted at, with its trailing slash.
func (c *Client) URL() string { return c.base.String() }

// APIError is the error of a [Client] call the handler answered with a
// status other than 2xx. It matches [chaos.ErrDisabled] (409),
// [chaos.ErrConflict] (412), and [chaos.ErrInvalidPlan] or
// [chaos.ErrRefused] (422, as the handler says) with errors.Is.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Message is the handler's error message, or the start of the body
	// when the answer is not the handler's JSON.
	Message string
	// Code names the sentinel the error matches, as the handler sent it:
	// "invalid_plan", "refused", "disabled", "conflict", or empty.
	Code string
	// Problems lists the problems of a refused plan, each with its place.
	Problems []chaos.Problem
}

// Error returns the status, the message and the first problems.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for i, p := range e.Problems {
		if i == 8 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		b.WriteString("; " + p.String())
	}
	return b.String()
}

// Is matches the sentinel of package chaos the answer stands for.
func (e *APIError) Is(target error) bool {
	switch target {
	case chaos.ErrDisabled:
		return e.StatusCode == http.StatusConflict || e.Code == codeDisabled
	case chaos.ErrConflict:
		return e.StatusCode == http.StatusPreconditionFailed || e.Code == codeConflict
	case chaos.ErrRefused:
		return e.Code == codeRefused
	case chaos.ErrInvalidPlan:
		return e.Code == codeInvalid || (e.StatusCode == http.StatusUnprocessableEntity && e.Code == "")
	}
	return false
}

// Status reads api/status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var v Status
	err := c.do(ctx, http.MethodGet, "api/status", nil, nil, &v)
	return v, err
}

// Plan reads api/plan: the engine's state and its plan.
func (c *Client) Plan(ctx context.Context) (PlanState, error) {
	var v PlanState
	err := c.do(ctx, http.MethodGet, "api/plan", nil, nil, &v)
	return v, err
}

// Apply replaces the engine's plan (PUT api/plan, in JSON) and returns the
// state that results. A plan with problems fails with an *APIError that
// matches chaos.ErrInvalidPlan or chaos.ErrRefused and lists them; a thrown
// kill switch fails matching chaos.ErrDisabled.
func (c *Client) Apply(ctx context.Context, p chaos.Plan) (PlanState, error) {
	return c.apply(ctx, p, "")
}

// ApplyIf is Apply on condition that the engine's generation is still
// generation (sent as If-Match), as [chaos.IfGeneration] does in process:
// otherwise it changes nothing and fails matching chaos.ErrConflict. Read
// the generation from [Client.Plan] or [Client.Status]; the state ApplyIf
// returns is at generation+1.
func (c *Client) ApplyIf(ctx context.Context, p chaos.Plan, generation uint64) (PlanState, error) {
	return c.apply(ctx, p, etag(generation))
}

func (c *Client) apply(ctx context.Context, p chaos.Plan, ifMatch string) (PlanState, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return PlanState{}, fmt.Errorf("admin: encoding plan: %w", err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	var v PlanState
	err = c.do(ctx, http.MethodPut, "api/plan", h, body, &v)
	return v, err
}

// Kill throws the engine's kill switch (POST api/kill) and returns the
// state that results. reason, if not empty, says why; the engine records
// it after the client's address, as "admin: 10.0.0.7: game day aborted".
func (c *Client) Kill(ctx context.Context, reason string) (PlanState, error) {
	var v PlanState
	path := "api/kill"
	if reason != "" {
		path += "?reason=" + url.QueryEscape(reason)
	}
	err := c.do(ctx, http.MethodPost, path, nil, nil, &v)
	return v, err
}

// Rearm re-arms the engine (POST api/rearm), which applies no plan, and
// returns the state that results.
func (c *Client) Rearm(ctx context.Context) (PlanState, error) {
	var v PlanState
	err := c.do(ctx, http.MethodPost, "api/rearm", nil, nil, &v)
	return v, err
}

// Stats reads the counters of every point and rule (api/stats), every page
// of them, merged. Pages are read one after another, so a point created
// meanwhile may be missing or, rarely, listed twice.
func (c *Client) Stats(ctx context.Context) (chaos.Stats, error) {
	var out chaos.Stats
	for page := 1; ; page++ {
		var v statsView
		if err := c.do(ctx, http.MethodGet, "api/stats?page="+strconv.Itoa(page), nil, nil, &v); err != nil {
			return chaos.Stats{}, err
		}
		if page == 1 {
			out.Rules, out.ObserverPanics = v.Rules, v.ObserverPanics
			out.Points = make([]chaos.PointStats, 0, v.Total)
		}
		out.Points = append(out.Points, v.Points...)
		if len(v.Points) == 0 || len(v.Points) < v.Limit || len(out.Points) >= v.Total {
			return out, nil
		}
	}
}

// do sends a request to path under the base URL and decodes a 2xx answer
// into v; any other answer is an *APIError.
func (c *Client) do(ctx context.Context, method, path string, h http.Header, body []byte, v any) error {
	ref, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	u := c.base.ResolveReference(ref)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("admin: %s %s: reading answer: %w", method, path, err)
	}
	if len(b) > maxAnswer {
		return fmt.Errorf("admin: %s %s: answer larger than %d bytes", method, path, maxAnswer)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("admin: %s %s: %w", method, path, answerError(resp.StatusCode, b))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("admin: %s %s: decoding answer: %w", method, path, err)
	}
	return nil
}

// answerError makes the *APIError of a non-2xx answer with body b.
func answerError(status int, b []byte) *APIError {
	var ev errorView
	if err := json.Unmarshal(b, &ev); err == nil && ev.Error != "" {
		return &APIError{StatusCode: status, Message: ev.Error, Code: ev.Code, Problems: ev.Problems}
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "") + "…"
	}
	return &APIError{StatusCode: status, Message: msg}
}
