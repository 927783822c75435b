package probes

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// drainLimit is how much of a response body a check reads before closing
// it, so that small bodies leave the connection reusable.
const drainLimit = 64 << 10

// HTTP returns a probe that sends a request to url and passes when the
// response status is wanted and the response came in time.
//
// Defaults: method GET, no body, [http.DefaultClient], any 2xx status, no
// latency limit, each check bounded by [DefaultTimeout]. Options change
// them: [WithClient], [WithMethod], [WithHeader], [WithStatus],
// [WithMaxLatency], [WithTimeout]. A check reads up to 64 KiB of the
// response body, closes it, and reports the time from sending the request to
// that point. A url that does not parse gives a probe whose checks fail.
// The probe is safe for concurrent use.
func HTTP(name, url string, opts ...HTTPOption) Probe {
	cfg := httpConfig{checkConfig: checkConfig{timeout: DefaultTimeout}}
	for _, o := range opts {
		if o != nil {
			o.applyHTTP(&cfg)
		}
	}
	if cfg.client == nil {
		cfg.client = http.DefaultClient
	}
	if cfg.method == "" {
		cfg.method = http.MethodGet
	}
	return &httpProbe{name: name, url: url, cfg: cfg, want: wantHTTP(cfg)}
}

type httpProbe struct {
	name string
	url  string
	cfg  httpConfig
	want string // "2xx", "200 or 204", ...
}

var _ Probe = (*httpProbe)(nil)

func (p *httpProbe) Name() string { return p.name }

func (p *httpProbe) Check(ctx context.Context) Result {
	if err := ctxErr(ctx); err != nil {
		return notChecked(p.name, err)
	}
	ctx, cancel := withTimeout(ctx, p.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, p.cfg.method, p.url, nil)
	if err != nil {
		return notChecked(p.name, fmt.Errorf("probes: build request: %w", err))
	}
	if p.cfg.header != nil {
		req.Header = p.cfg.header.Clone()
	}

	start := time.Now()
	resp, err := p.cfg.client.Do(req)
	if err != nil {
		d := time.Since(start)
		return Result{
			Probe:    p.name,
			Observed: "no response after " + fmtDuration(d) + p.wantSuffix(),
			Err:      fmt.Sprintf("probes: send request: %v", err),
			Duration: d,
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	_ = resp.Body.Close()
	d := time.Since(start)

	r := Result{
		Probe:    p.name,
		Observed: "status " + strconv.Itoa(resp.StatusCode) + " in " + fmtDuration(d) + p.wantSuffix(),
		Duration: d,
	}
	switch {
	case !p.statusOK(resp.StatusCode):
		r.Err = fmt.Sprintf("probes: status %d, want %s", resp.StatusCode, p.want)
	case p.cfg.maxLatency > 0 && d > p.cfg.maxLatency:
		r.Err = fmt.Sprintf("probes: took %s, want within %s", fmtDuration(d), p.cfg.maxLatency)
	default:
		r.OK = true
	}
	return r
}

func (p *httpProbe) statusOK(code int) bool {
	if len(p.cfg.statuses) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(p.cfg.statuses, code)
}

// wantSuffix is the "(want ...)" end of an Observed text.
func (p *httpProbe) wantSuffix() string {
	if p.cfg.maxLatency > 0 {
		return " (want " + p.want + " within " + p.cfg.maxLatency.String() + ")"
	}
	return " (want " + p.want + ")"
}

// wantHTTP describes the wanted statuses: "2xx", "200", "200 or 204",
// "200, 201 or 204".
func wantHTTP(cfg httpConfig) string {
	if len(cfg.statuses) == 0 {
		return "2xx"
	}
	codes := make([]string, len(cfg.statuses))
	for i, c := range cfg.statuses {
		codes[i] = strconv.Itoa(c)
	}
	if len(codes) == 1 {
		return codes[0]
	}
	return strings.Join(codes[:len(codes)-1], ", ") + " or " + codes[len(codes)-1]
}

// withTimeout bounds ctx by d when d > 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
