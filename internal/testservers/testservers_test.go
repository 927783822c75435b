package testservers

import (
	"net"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// dial checks that something listens at the host:port of addr.
func dial(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestPostgres(t *testing.T) {
	dsn := Postgres(t)
	const prefix, suffix = "postgres://postgres@", "/postgres?sslmode=disable"
	if !strings.HasPrefix(dsn, prefix) || !strings.HasSuffix(dsn, suffix) {
		t.Fatalf("DSN %q", dsn)
	}
	dial(t, strings.TrimSuffix(strings.TrimPrefix(dsn, prefix), suffix))
}

func TestSharedPostgres(t *testing.T) {
	dsn := SharedPostgres(t)
	if again := SharedPostgres(t); again != dsn {
		t.Fatalf("second SharedPostgres: %q, want %q", again, dsn)
	}
}

func TestRedis(t *testing.T) {
	addr := Redis(t)
	dial(t, addr)
	if again := Redis(t); again != addr {
		t.Fatalf("second Redis: %q, want %q", again, addr)
	}
}
