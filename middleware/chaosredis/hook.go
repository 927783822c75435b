package chaosredis

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/faultline-go/faultline/chaos"
)

// Hook returns a go-redis hook that puts fault points before every command,
// pipeline and dial of the client it is added to:
//
//	rdb := redis.NewClient(opt)
//	rdb.AddHook(chaosredis.Hook(engine))
//
// A nil e means [chaos.Default]. See the package documentation for the
// points and what each fault does. While no rule of e is armed, a command
// costs two atomic loads more than without the hook, and allocates
// nothing more. The hook is safe for concurrent use and may be added to
// several clients, which then share its points.
func Hook(e *chaos.Engine, opts ...Option) redis.Hook {
	if e == nil {
		e = chaos.Default()
	}
	c := newConfig(opts)
	h := &hook{e: e, cfg: c}
	h.pipeline = e.Point(c.prefix + ".pipeline")
	h.txPipeline = e.Point(c.prefix + ".txpipeline")
	h.dial = e.Point(c.prefix + ".dial")
	h.other = e.Point(c.prefix + ".(other)")
	h.points.Store(&map[string]*chaos.Point{})
	return h
}

// Hooker is what [Wrap] needs of a client: *redis.Client,
// *redis.ClusterClient, *redis.Ring and redis.UniversalClient all have it.
type Hooker interface {
	AddHook(redis.Hook)
}

// Wrap adds [Hook](e, opts...) to client and returns client, so that
//
//	rdb := chaosredis.Wrap(redis.NewClient(opt), engine)
//
// is a client whose commands a plan can slow down or fail. When client has
// an Options method, as *redis.Client has, injected errors name its
// address unless [WithAddr] says otherwise. A nil e means [chaos.Default].
//
// Wrap panics if client is nil: a mistake in the program, not in its input.
func Wrap[C Hooker](client C, e *chaos.Engine, opts ...Option) C {
	var h Hooker = client
	if h == nil {
		panic("chaosredis: Wrap of a nil client")
	}
	if o, ok := h.(interface{ Options() *redis.Options }); ok {
		if ro := o.Options(); ro != nil && ro.Addr != "" {
			opts = append([]Option{WithAddr(ro.Addr)}, opts...)
		}
	}
	client.AddHook(Hook(e, opts...))
	return client
}

// hook is the redis.Hook that Hook returns.
type hook struct {
	e   *chaos.Engine
	cfg config

	pipeline, txPipeline, dial, other *chaos.Point

	// points maps command names to their points. It is copied on write
	// under mu, so a lookup takes no lock and allocates nothing.
	mu     sync.Mutex
	points atomic.Pointer[map[string]*chaos.Point]
}

var _ redis.Hook = (*hook)(nil)

// point returns the point of the command called name, made on first use.
func (h *hook) point(name string) *chaos.Point {
	if p, ok := (*h.points.Load())[name]; ok {
		return p
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.points.Load()
	if p, ok := old[name]; ok {
		return p
	}
	if h.cfg.maxPoints >= 0 && len(old) >= h.cfg.maxPoints {
		return h.other
	}
	m := make(map[string]*chaos.Point, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	// name may share memory with the command's arguments: copy it.
	name = string(append([]byte(nil), name...))
	p := h.e.Point(h.cfg.prefix + "." + name)
	m[name] = p
	h.points.Store(&m)
	return p
}

// cmdPoint returns the point of cmd.
func (h *hook) cmdPoint(cmd redis.Cmder) *chaos.Point {
	name := cmd.Name()
	if name == "" {
		return h.other
	}
	return h.point(name)
}

// DialHook implements redis.Hook: the point prefix+".dial" fires before
// each new connection.
func (h *hook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if h.dial.Armed() {
			if err := decide(ctx, h.dial, "dial", address, syscall.ECONNREFUSED); err != nil {
				return nil, err
			}
		}
		return next(ctx, network, address)
	}
}

// ProcessHook implements redis.Hook: the command's point fires before it
// is sent.
func (h *hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !h.e.Armed() {
			return next(ctx, cmd)
		}
		if p := h.cmdPoint(cmd); p.Armed() {
			if err := decide(ctx, p, "read", h.cfg.addr, io.EOF); err != nil {
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook: the pipeline's point, then
// each command's, fire before the pipeline is sent.
func (h *hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !h.e.Armed() || len(cmds) == 0 {
			return next(ctx, cmds)
		}
		if isTx(cmds) {
			return h.processTx(ctx, cmds, next)
		}
		return h.processPipeline(ctx, cmds, next)
	}
}

// isTx reports whether cmds is a transaction: MULTI, the commands, EXEC.
func isTx(cmds []redis.Cmder) bool {
	return len(cmds) >= 2 && cmds[0].Name() == "multi" && cmds[len(cmds)-1].Name() == "exec"
}

// processTx runs the points of a transaction: a fault at the txpipeline
// point or at any command's fails every command and sends nothing, as the
// loss of the connection before EXEC does.
func (h *hook) processTx(ctx context.Context, cmds []redis.Cmder, next redis.ProcessPipelineHook) error {
	fail := func(err error) error {
		for _, c := range cmds {
			c.SetErr(err)
		}
		return err
	}
	if h.txPipeline.Armed() {
		if err := decide(ctx, h.txPipeline, "read", h.cfg.addr, io.EOF); err != nil {
			return fail(err)
		}
	}
	for _, c := range cmds[1 : len(cmds)-1] {
		if p := h.cmdPoint(c); p.Armed() {
			if err := decide(ctx, p, "read", h.cfg.addr, io.EOF); err != nil {
				return fail(err)
			}
		}
	}
	return next(ctx, cmds)
}

// processPipeline runs the points of a pipeline: a fault at the pipeline
// point fails every command and sends nothing; a fault at a command's
// point fails that command, which is left out of what is sent, and the
// others run.
func (h *hook) processPipeline(ctx context.Context, cmds []redis.Cmder, next redis.ProcessPipelineHook) error {
	if h.pipeline.Armed() {
		if err := decide(ctx, h.pipeline, "read", h.cfg.addr, io.EOF); err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
	}
	var kept []redis.Cmder // nil until a command fails
	for i, c := range cmds {
		p := h.cmdPoint(c)
		if !p.Armed() {
			if kept != nil {
				kept = append(kept, c)
			}
			continue
		}
		err := decide(ctx, p, "read", h.cfg.addr, io.EOF)
		if err == nil {
			if kept != nil {
				kept = append(kept, c)
			}
			continue
		}
		c.SetErr(err)
		if kept == nil {
			kept = make([]redis.Cmder, i, len(cmds))
			copy(kept, cmds[:i])
		}
	}
	if kept == nil {
		return next(ctx, cmds)
	}
	var err error
	if len(kept) > 0 {
		err = next(ctx, kept)
	}
	// As go-redis does, the pipeline's error is its first command's.
	for _, c := range cmds {
		if cerr := c.Err(); cerr != nil {
			return cerr
		}
	}
	return err
}
