package probes

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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
	cfg := sqlConfig{checkConfig: defaultCheck}
	for _, o := range opts {
		if o != nil {
			o.applySQL(&cfg)
		}
	}
	p := &sqlProbe{name: name, db: db, query: query, cfg: cfg}
	if db == nil {
		p.broken = errNilDB
	}
	return p
}

type sqlProbe struct {
	name   string
	db     *sql.DB
	query  string
	cfg    sqlConfig
	broken error // errNilDB for a nil db
}

func (p *sqlProbe) Name() string { return p.name }

func (p *sqlProbe) Check(ctx context.Context) Result {
	return p.cfg.check(ctx, p.name, p.broken, p.wantSuffix(), func(ctx context.Context) (string, error) {
		rows, err := p.db.QueryContext(ctx, p.query, p.cfg.args...)
		if err != nil {
			return "query failed after", fmt.Errorf("probes: run query: %w", err)
		}
		switch n, err := p.read(rows); {
		case err != nil:
			return "rows failed after", err
		case p.cfg.expect != nil:
			return "rows as expected in", nil
		case n == 1:
			return "1 row in", nil
		default:
			return strconv.Itoa(n) + " rows in", nil
		}
	})
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
