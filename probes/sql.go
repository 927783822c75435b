package probes

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// SQL returns a probe that runs query on db with QueryContext and passes
// when the query and the reading of its rows succeed in time.
//
// By default the probe reads and counts every row, has no latency limit,
// and bounds each check by [DefaultTimeout]. [WithArgs] passes arguments,
// [WithExpect] checks the rows' content, and [WithMaxLatency] and
// [WithTimeout] set the tolerance. Keep the query cheap: a probe runs it on
// an interval while faults are active. A nil db gives a probe whose checks
// fail. The probe is safe for concurrent use, as *sql.DB is.
func SQL(name string, db *sql.DB, query string, opts ...SQLOption) Probe {
	cfg := sqlConfig{checkConfig: checkConfig{timeout: DefaultTimeout}}
	for _, o := range opts {
		if o != nil {
			o.applySQL(&cfg)
		}
	}
	return &sqlProbe{name: name, db: db, query: query, cfg: cfg}
}

type sqlProbe struct {
	name  string
	db    *sql.DB
	query string
	cfg   sqlConfig
}

var _ Probe = (*sqlProbe)(nil)

func (p *sqlProbe) Name() string { return p.name }

func (p *sqlProbe) Check(ctx context.Context) Result {
	if p.db == nil {
		return notChecked(p.name, errNilDB)
	}
	if err := ctxErr(ctx); err != nil {
		return notChecked(p.name, err)
	}
	ctx, cancel := withTimeout(ctx, p.cfg.timeout)
	defer cancel()

	start := time.Now()
	rows, err := p.db.QueryContext(ctx, p.query, p.cfg.args...)
	if err != nil {
		d := time.Since(start)
		return Result{
			Probe:    p.name,
			Observed: "query failed after " + fmtDuration(d) + p.wantSuffix(),
			Err:      fmt.Sprintf("probes: run query: %v", err),
			Duration: d,
		}
	}
	n, err := p.read(rows)
	d := time.Since(start)

	r := Result{Probe: p.name, Duration: d}
	switch {
	case err != nil:
		r.Observed = "rows failed after " + fmtDuration(d) + p.wantSuffix()
		r.Err = err.Error()
		return r
	case p.cfg.expect != nil:
		r.Observed = "rows as expected in " + fmtDuration(d) + p.wantSuffix()
	case n == 1:
		r.Observed = "1 row in " + fmtDuration(d) + p.wantSuffix()
	default:
		r.Observed = strconv.Itoa(n) + " rows in " + fmtDuration(d) + p.wantSuffix()
	}
	if p.cfg.maxLatency > 0 && d > p.cfg.maxLatency {
		r.Err = fmt.Sprintf("probes: took %s, want within %s", fmtDuration(d), p.cfg.maxLatency)
		return r
	}
	r.OK = true
	return r
}

// read consumes rows, through the expect func when there is one, closes
// them and reports the number of rows it read itself.
func (p *sqlProbe) read(rows *sql.Rows) (n int, err error) {
	defer func() {
		if cerr := rows.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("probes: close rows: %w", cerr)
		}
	}()
	if p.cfg.expect != nil {
		if err := expectSafely(p.cfg.expect, rows); err != nil {
			return 0, fmt.Errorf("probes: unexpected rows: %w", err)
		}
	} else {
		for rows.Next() {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("probes: read rows: %w", err)
	}
	return n, nil
}

// expectSafely calls fn and turns a panic into an error.
func expectSafely(fn func(*sql.Rows) error, rows *sql.Rows) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", errPanic, v)
		}
	}()
	return fn(rows)
}

func (p *sqlProbe) wantSuffix() string {
	if p.cfg.maxLatency > 0 {
		return " (want within " + p.cfg.maxLatency.String() + ")"
	}
	return ""
}
