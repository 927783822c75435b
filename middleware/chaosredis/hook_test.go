package chaosredis_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosredis"
)

// TestPassThrough: with no plan the hooked client reads and writes as the
// bare one, and no point counts an evaluation.
func TestPassThrough(t *testing.T) {
	e := engine(t, "")
	c := newClient(t, e)
	k := key(t, "k")
	if err := c.Set(bg, k, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(bg, k).Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v; want v", got, err)
	}
	if _, err := c.Get(bg, key(t, "missing")).Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of a missing key: %v, want redis.Nil", err)
	}
	if _, err := c.Pipelined(bg, func(p redis.Pipeliner) error {
		p.Incr(bg, key(t, "n"))
		p.Incr(bg, key(t, "n"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Get(bg, key(t, "n")).Int(); n != 2 {
		t.Fatalf("n = %d, want 2", n)
	}
	for _, ps := range e.Stats().Points {
		if ps.Evaluations != 0 {
			t.Errorf("%s: %d evaluations with no plan", ps.Point, ps.Evaluations)
		}
	}
}

// TestCommandFaults: each kind fails the command with the error the package
// documents, before it reaches the server, and only the command its rule
// names.
func TestCommandFaults(t *testing.T) {
	addr := serverAddr(t)
	for _, tc := range []struct {
		fault   string
		cause   error
		timeout bool
	}{
		{"error(boom)", io.EOF, false},
		{"status(503)", io.EOF, false},
		{"abort", syscall.ECONNRESET, false},
		{"badconn", syscall.ECONNRESET, false},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			e := engine(t, "redis.set=1*"+tc.fault)
			c := newClient(t, e)
			k := key(t, "k")
			err := c.Set(bg, k, "v", 0).Err()
			if !errors.Is(err, faults.ErrInjected) || !errors.Is(err, tc.cause) {
				t.Fatalf("SET: %v; want an injected error matching %v", err, tc.cause)
			}
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "read" || op.Addr == nil || op.Addr.String() != addr {
				t.Fatalf("SET: %#v; want a *net.OpError reading from %s", err, addr)
			}
			var ne net.Error
			if !errors.As(err, &ne) || ne.Timeout() != tc.timeout {
				t.Fatalf("SET: net.Error %v, Timeout() want %v", ne, tc.timeout)
			}
			var re redis.Error
			if errors.As(err, &re) || redis.HasErrorPrefix(err, "") {
				t.Fatalf("SET: %v is a Redis reply error; want a network error", err)
			}
			// The SET never reached the server.
			if err := c.Get(bg, k).Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET after the failed SET: %v, want redis.Nil", err)
			}
			// 1* fired once: the next SET goes through.
			if err := c.Set(bg, k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if got := pointStats(e, "redis.set").Fired; got != 1 {
				t.Errorf("redis.set fired %d times, want 1", got)
			}
			if got := pointStats(e, "redis.get").Evaluations; got != 0 {
				t.Errorf("redis.get evaluated %d times; no rule names it", got)
			}
		})
	}
}

// TestHookWithoutAddr: Hook alone names no address.
func TestHookWithoutAddr(t *testing.T) {
	e := engine(t, "redis.get=error(down)")
	c := redis.NewClient(&redis.Options{Addr: serverAddr(t)})
	defer c.Close()
	c.AddHook(chaosredis.Hook(e))
	err := c.Get(bg, key(t, "k")).Err()
	if want := "read tcp: faultline: injected error at redis.get: down"; err == nil || err.Error() != want {
		t.Fatalf("GET: %v, want %q", err, want)
	}
}

// TestLabels: rules match the labels a call's context carries.
func TestLabels(t *testing.T) {
	e := engine(t, "redis.get=error[label.tenant=acme]")
	c := newClient(t, e)
	if err := c.Get(chaos.WithLabels(bg, "tenant", "other"), key(t, "k")).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET for tenant other: %v, want redis.Nil", err)
	}
	if err := c.Get(chaos.WithLabels(bg, "tenant", "acme"), key(t, "k")).Err(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("GET for tenant acme: %v, want an injected error", err)
	}
}

// TestLatencyCancelled: a latency fault ends with the call's context, and
// the command is not sent. The observer cancels the context when the
// fault fires, so nothing depends on timing.
func TestLatencyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	e := chaos.New(chaos.WithSeed(1), chaos.WithObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) { cancel() })))
	if err := e.Apply(chaos.MustParsePlan("redis.set=delay(1h)")); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, e)
	k := key(t, "k")
	if err := c.Set(ctx, k, "v", 0).Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("SET: %v, want context.Canceled", err)
	}
	if err := c.Get(bg, k).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after the cancelled SET: %v, want redis.Nil", err)
	}
}

// TestKillSwitch: once the engine is disabled, the command goes through.
func TestKillSwitch(t *testing.T) {
	e := engine(t, "redis.*=error")
	c := newClient(t, e)
	if err := c.Ping(bg).Err(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("PING: %v, want an injected error", err)
	}
	e.Disable("test")
	if err := c.Ping(bg).Err(); err != nil {
		t.Fatalf("PING after Disable: %v", err)
	}
}

// TestPipeline: a fault at redis.pipeline fails every command and sends
// none; a fault at a command's point fails that command alone.
func TestPipeline(t *testing.T) {
	t.Run("pipeline point", func(t *testing.T) {
		e := engine(t, "redis.pipeline=1*error(lost)")
		c := newClient(t, e)
		a, b := key(t, "a"), key(t, "b")
		cmds, err := c.Pipelined(bg, func(p redis.Pipeliner) error {
			p.Set(bg, a, "1", 0)
			p.Set(bg, b, "2", 0)
			return nil
		})
		if !errors.Is(err, faults.ErrInjected) || !errors.Is(err, io.EOF) {
			t.Fatalf("Pipelined: %v, want an injected network error", err)
		}
		for _, cmd := range cmds {
			if !errors.Is(cmd.Err(), faults.ErrInjected) {
				t.Errorf("%v: %v, want the injected error", cmd.Args(), cmd.Err())
			}
		}
		if n := c.Exists(bg, a, b).Val(); n != 0 {
			t.Fatalf("%d keys written by a failed pipeline", n)
		}
	})
	t.Run("command point", func(t *testing.T) {
		e := engine(t, "redis.set=1*error(lost)")
		c := newClient(t, e)
		a, b := key(t, "a"), key(t, "b")
		cmds, err := c.Pipelined(bg, func(p redis.Pipeliner) error {
			p.Set(bg, a, "1", 0)
			p.Set(bg, b, "2", 0)
			p.Get(bg, b)
			return nil
		})
		if !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("Pipelined: %v, want the first command's injected error", err)
		}
		if !errors.Is(cmds[0].Err(), faults.ErrInjected) || cmds[1].Err() != nil {
			t.Fatalf("SETs: %v, %v; want the first failed only", cmds[0].Err(), cmds[1].Err())
		}
		if got := cmds[2].(*redis.StringCmd).Val(); got != "2" {
			t.Fatalf("GET in the pipeline = %q, want 2", got)
		}
		if err := c.Get(bg, a).Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("the failed SET was sent: GET = %v", err)
		}
	})
}

// TestTransaction: a fault at any command of a MULTI/EXEC transaction
// fails all of them, and nothing of it is written.
func TestTransaction(t *testing.T) {
	for _, plan := range []string{"redis.incr=1*error", "redis.txpipeline=1*abort"} {
		t.Run(plan, func(t *testing.T) {
			e := engine(t, plan)
			c := newClient(t, e)
			a, n := key(t, "a"), key(t, "n")
			_, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
				p.Set(bg, a, "1", 0)
				p.Incr(bg, n)
				return nil
			})
			if !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("TxPipelined: %v, want an injected error", err)
			}
			if got := c.Exists(bg, a, n).Val(); got != 0 {
				t.Fatalf("%d keys written by a failed transaction", got)
			}
			if _, err := c.TxPipelined(bg, func(p redis.Pipeliner) error {
				p.Set(bg, a, "1", 0)
				p.Incr(bg, n)
				return nil
			}); err != nil {
				t.Fatalf("second transaction: %v", err)
			}
		})
	}
}

// TestDialRetried: a dial error is one go-redis retries, so one injected
// dial failure delays the command but does not fail it.
func TestDialRetried(t *testing.T) {
	e := engine(t, "redis.dial=1*error(refused)")
	c := newClient(t, e)
	if err := c.Ping(bg).Err(); err != nil {
		t.Fatalf("PING after one failed dial: %v", err)
	}
	if got := pointStats(e, "redis.dial").Fired; got != 1 {
		t.Fatalf("redis.dial fired %d times, want 1", got)
	}
}

// TestDialError: the dial error is a *net.OpError "dial" that matches
// ECONNREFUSED and the injected error.
func TestDialError(t *testing.T) {
	e := engine(t, "redis.dial=error(refused)")
	c := redis.NewClient(&redis.Options{Addr: serverAddr(t), MaxRetries: -1, DialerRetries: 1})
	defer c.Close()
	chaosredis.Wrap(c, e)
	err := c.Ping(bg).Err()
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" || !errors.Is(err, syscall.ECONNREFUSED) || !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("PING: %v; want an injected dial error", err)
	}
}

// TestHang runs the hook itself in a bubble: a hang ends at its bound with
// a read timeout, or with the context.
func TestHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engine(t, "redis.get=hang(5s)")
		process := chaosredis.Hook(e).ProcessHook(func(context.Context, redis.Cmder) error { return nil })
		start := time.Now()
		err := process(bg, redis.NewStringCmd(bg, "get", "k"))
		if time.Since(start) != 5*time.Second {
			t.Errorf("hang lasted %v, want 5s", time.Since(start))
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("hang: %v; want an injected read timeout", err)
		}

		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		if err := process(ctx, redis.NewStringCmd(ctx, "get", "k")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hang with a 1s context: %v, want context.DeadlineExceeded", err)
		}
	})
}

// TestLatency runs the hook itself in a bubble: the command is sent after
// the delay.
func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engine(t, "redis.get=delay(200ms)")
		var sentAt time.Duration
		start := time.Now()
		process := chaosredis.Hook(e).ProcessHook(func(context.Context, redis.Cmder) error {
			sentAt = time.Since(start)
			return nil
		})
		if err := process(bg, redis.NewStringCmd(bg, "get", "k")); err != nil {
			t.Fatal(err)
		}
		if sentAt != 200*time.Millisecond {
			t.Fatalf("sent after %v, want 200ms", sentAt)
		}
	})
}

// TestMaxPoints: command names beyond the bound share one point.
func TestMaxPoints(t *testing.T) {
	e := engine(t, "redis.*=error[label.never=1]")
	process := chaosredis.Hook(e, chaosredis.WithMaxPoints(2)).ProcessHook(func(context.Context, redis.Cmder) error { return nil })
	for _, name := range []string{"get", "set", "cmd3", "cmd4", "get"} {
		if err := process(bg, redis.NewCmd(bg, name)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]uint64{}
	for _, ps := range e.Stats().Points {
		got[ps.Point] = ps.Evaluations
	}
	want := map[string]uint64{"redis.get": 2, "redis.set": 1, "redis.(other)": 2}
	for p, n := range want {
		if got[p] != n {
			t.Errorf("%s: %d evaluations, want %d (all: %v)", p, got[p], n, got)
		}
	}
	if _, ok := got["redis.cmd3"]; ok {
		t.Errorf("redis.cmd3 made past the bound: %v", got)
	}
}

// TestPrefix: WithPrefix names the points.
func TestPrefix(t *testing.T) {
	e := engine(t, "redis.cache.get=error")
	c := newClient(t, e, chaosredis.WithPrefix("redis.cache."))
	if err := c.Get(bg, key(t, "k")).Err(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("GET: %v, want an injected error at redis.cache.get", err)
	}
}
