package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes; see the package documentation.
const (
	exitOK      = 0 // success: valid, matched, every target confirmed
	exitInvalid = 1 // invalid input or plan, a rule that hits nothing, a replay mismatch
	exitUsage   = 2 // bad command line
	exitTargets = 3 // some targets failed or did not confirm
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the command line args (without the program name) and returns
// the exit code. Every command reads the environment through os.Getenv.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return c.run(args)
}

// cli is one run of the command: where it reads and writes, and how it
// reads the environment, so that tests can give their own.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one subcommand.
type command struct {
	name, args, short string
	// help is the long help: what it does, its examples.
	help string
	// flags adds the command's flags to fs and returns the function that
	// runs it with the positional arguments.
	flags func(c *cli, fs *flag.FlagSet) func(args []string) int
}

// commandList holds every subcommand in the order the help lists them,
// and commands the same by name; both are set in init, since the help
// command lists them.
var (
	commandList []*command
	commands    map[string]*command
)

func init() {
	commandList = []*command{
		validateCmd, fmtCmd, jsonCmd, explainCmd,
		reportCmd, replayCheckCmd,
		statusCmd, applyCmd, killCmd, rearmCmd,
		mintCmd, keygenCmd,
	}
	commands = make(map[string]*command, len(commandList))
	for _, cmd := range commandList {
		commands[cmd.name] = cmd
	}
}

func (c *cli) run(args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			c.usage(c.stdout)
			return exitOK
		}
		cmd, ok := commands[rest[0]]
		if !ok {
			fmt.Fprintf(c.stderr, "faultline: no command %q; run faultline help\n", rest[0])
			return exitUsage
		}
		fs := c.flagSet(cmd, c.stdout)
		cmd.flags(c, fs)
		help(c.stdout, cmd, fs)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(c.stderr, "faultline: no command %q\n\n", name)
		c.usage(c.stderr)
		return exitUsage
	}
	fs := c.flagSet(cmd, c.stderr)
	runCmd := cmd.flags(c, fs)
	pos, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		help(c.stdout, cmd, fs)
		return exitOK
	}
	if err != nil {
		return exitUsage // flag has printed the error and the usage
	}
	return runCmd(pos)
}

// flagSet returns the flag set of cmd. Its Usage prints the command's
// synopsis, for a bad command line; help prints the whole help.
func (c *cli) flagSet(cmd *command, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("faultline "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: faultline %s %s\nrun faultline help %s for its flags and examples\n", cmd.name, cmd.args, cmd.name)
	}
	return fs
}

// help prints the whole help of cmd, whose flags are in fs.
func help(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: faultline %s %s\n\n%s\n", cmd.name, cmd.args, strings.TrimSpace(cmd.help))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fmt.Fprintln(w, "\n"+exitHelp)
}

// parseInterspersed parses args with fs, letting flags come after
// positional arguments too ("faultline validate plan.json -policy p.json"),
// and returns the positional arguments. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

const exitHelp = `exit codes: 0 ok; 1 invalid input or plan, a rule that hits no point, or a
replay mismatch; 2 usage; 3 some targets failed or did not confirm`

// usage prints the list of commands.
func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, `faultline vets chaos plans and steers the admin endpoints of services
that embed faultline.

usage: faultline COMMAND [flags] [args]

`)
	for _, cmd := range commandList {
		fmt.Fprintf(w, "  %-13s %s\n", cmd.name, cmd.short)
	}
	fmt.Fprint(w, `
A PLAN argument names a file holding a plan (text or JSON), "-" for standard
input, or is the plan text itself. Flags may come before or after the
arguments. Admin commands read the bearer token from $FAULTLINE_TOKEN or
from -token-file, never from a flag value.

examples:
  faultline validate -policy policy.json plans/checkout.json
  faultline fmt 'db.query = 10% delay(200ms)'
  faultline explain plan.txt -points http://svc:8080/debug/faultline/
  FAULTLINE_TOKEN=... faultline kill -targets fleet.txt

Run faultline help COMMAND (or faultline COMMAND -h) for a command's flags
and examples.

`+exitHelp+"\n")
}

// failf prints a message to stderr, prefixed with "faultline: ", and
// returns code.
func (c *cli) failf(code int, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "faultline: "+format+"\n", args...)
	return code
}
