package explore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
)

// Ledger moves money between accounts in a SQL database, with fault
// points before the debit, the credit and the commit.
type Ledger struct {
	db                    *sql.DB
	debit, credit, commit *chaos.Point
	// Fixed makes Transfer roll back when the commit fails.
	Fixed bool
}

// NewLedger returns a ledger on db whose steps are points of e.
func NewLedger(db *sql.DB, e *chaos.Engine) *Ledger {
	return &Ledger{
		db:     db,
		debit:  e.Point("ledger.debit"),
		credit: e.Point("ledger.credit"),
		commit: e.Point("ledger.commit"),
	}
}

// Setup creates the accounts table with two accounts of 100.
func (l *Ledger) Setup(ctx context.Context) error {
	_, err := l.db.ExecContext(ctx, `CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
		INSERT INTO accounts VALUES ('alice', 100), ('bob', 100)`)
	if err != nil {
		return fmt.Errorf("ledger: setup: %w", err)
	}
	return nil
}

// Transfer moves amount from one account to another in one transaction.
func (l *Ledger) Transfer(ctx context.Context, from, to string, amount int) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: begin: %w", err)
	}
	step := func(p *chaos.Point, delta int, id string) error {
		if err := p.Inject(ctx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET balance = balance + ? WHERE id = ?`, delta, id)
		return err
	}
	if err := step(l.debit, -amount, from); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("ledger: debit: %w", err)
	}
	if err := step(l.credit, amount, to); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("ledger: credit: %w", err)
	}
	if err := l.commit.Inject(ctx); err != nil {
		if l.Fixed {
			_ = tx.Rollback()
		}
		// The planted bug: without the rollback the transaction stays
		// open, holding its connection and its locks.
		return fmt.Errorf("ledger: commit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}

// Total returns the sum of every balance.
func (l *Ledger) Total(ctx context.Context) (int, error) {
	var n int
	if err := l.db.QueryRowContext(ctx, `SELECT SUM(balance) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("ledger: total: %w", err)
	}
	return n, nil
}
