package probes

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
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
	cfg := httpConfig{checkConfig: defaultCheck}
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
	p := &httpProbe{name: name, cfg: cfg, want: wantHTTP(cfg)}
	p.req, p.broken = http.NewRequest(cfg.method, url, nil)
	if p.broken != nil {
		p.broken = fmt.Errorf("probes: build request: %w", p.broken)
	} else if cfg.header != nil {
		p.req.Header = cfg.header
	}
	return p
}

type httpProbe struct {
	name   string
	cfg    httpConfig
	req    *http.Request // cloned for each check
	broken error         // why req could not be built
	want   string        // "2xx", "200 or 204", ...
}

func (p *httpProbe) Name() string { return p.name }

func (p *httpProbe) Check(ctx context.Context) Result {
	return p.cfg.check(ctx, p.name, p.broken, p.wantSuffix(), func(ctx context.Context) (string, error) {
		resp, err := p.cfg.client.Do(p.req.Clone(ctx))
		if err != nil {
			return "no response after", fmt.Errorf("probes: send request: %w", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		_ = resp.Body.Close()
		observed := "status " + strconv.Itoa(resp.StatusCode) + " in"
		if !p.statusOK(resp.StatusCode) {
			return observed, fmt.Errorf("probes: status %d, want %s", resp.StatusCode, p.want)
		}
		return observed, nil
	})
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
