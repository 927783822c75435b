package chaosredis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosredis"
)

// Wrap adds the hook to a client. Here a plan fails every GET, before it
// is sent, with an error that looks like a closed connection: no server
// needs to be running for the example.
func ExampleWrap() {
	engine := chaos.New(chaos.WithSeed(1))
	rdb := chaosredis.Wrap(redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}), engine)
	defer rdb.Close()

	if err := engine.Apply(chaos.MustParsePlan("redis.get=error(cache down)")); err != nil {
		log.Fatal(err)
	}
	err := rdb.Get(context.Background(), "session:42").Err()
	fmt.Println(err)
	fmt.Println(errors.Is(err, faults.ErrInjected), errors.Is(err, io.EOF))
	// Output:
	// read tcp 127.0.0.1:6379: faultline: injected error at redis.get: cache down
	// true true
}

// Hook is for a client that is built elsewhere: add it with AddHook. A
// fault at redis.pipeline fails the whole pipeline.
func ExampleHook() {
	engine := chaos.New(chaos.WithSeed(1))
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	rdb.AddHook(chaosredis.Hook(engine))

	if err := engine.Apply(chaos.MustParsePlan("redis.pipeline=abort")); err != nil {
		log.Fatal(err)
	}
	cmds, err := rdb.Pipelined(context.Background(), func(p redis.Pipeliner) error {
		p.Incr(context.Background(), "visits")
		p.Expire(context.Background(), "visits", 0)
		return nil
	})
	fmt.Println(err)
	fmt.Println(len(cmds), "commands failed:", errors.Is(cmds[1].Err(), faults.ErrInjected))
	// Output:
	// read tcp: faultline: injected abort at redis.pipeline: connection reset
	// 2 commands failed: true
}
