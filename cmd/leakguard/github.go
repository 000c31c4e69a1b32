package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/internal/dirlock"
	"github.com/leakguard/leakguard/internal/term"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/orgscan"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store/storeopen"
	"github.com/rs/zerolog"
)

// gitHub runs the github subcommands and `leakguard worker` with what a
// caller injects besides flags and IO; the zero value is the real thing.
type gitHub struct {
	sleep github.Sleeper // waits out rate limits (nil: the real sleeper; tests: a fake)
}

// runGitHub dispatches the github subcommands.
func runGitHub(ctx context.Context, args []string, sio IO) error {
	return gitHub{}.run(ctx, args, sio)
}

// run dispatches the github subcommands with g's dependencies.
func (g gitHub) run(ctx context.Context, args []string, sio IO) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(sio.Stderr, usageText("github"))
		if len(args) == 0 {
			return &exitError{code: exitFail}
		}
		return nil
	}
	switch args[0] {
	case "scan":
		return g.scan(ctx, args[1:], sio)
	case "alerts":
		return g.alerts(ctx, args[1:], sio)
	}
	fmt.Fprintln(sio.Stderr, usageText("github"))
	return usageError("unknown github subcommand %q", args[0])
}

// githubCommon are the flags every github subcommand shares.
type githubCommon struct {
	apiURL, db, config string
	format, output     string
	logLevel           string
	quiet              bool
	progressEvery      time.Duration
	now                func() time.Time
	getenv             func(string) string
	environ            []string // git's base environment (nil: the process's)
	log                zerolog.Logger
	stdout, stderr     io.Writer
	sleep              github.Sleeper // nil: the real one (see gitHub)
}

func (c *githubCommon) declare(fs *flag.FlagSet) {
	c.declareBase(fs)
	fs.StringVar(&c.db, "db", "", "token store DSN (sqlite:PATH or postgres://...; empty: the embedded store)")
	fs.StringVar(&c.format, "format", report.FormatText, "output format: text, json (JSON Lines) or sarif")
	fs.StringVar(&c.output, "output", "", "write the report to `FILE` (atomically) instead of stdout")
}

// declareBase registers the flags every GitHub command uses, including
// `worker`, which reports to its coordinator and has no store or report
// of its own.
func (c *githubCommon) declareBase(fs *flag.FlagSet) {
	c.format = report.FormatText
	fs.StringVar(&c.apiURL, "api-url", github.DefaultAPIURL, "GitHub REST API `URL` (GitHub Enterprise: https://HOST/api/v3/)")
	fs.StringVar(&c.config, "config", "", "token-format configuration `FILE` (TOML)")
	fs.StringVar(&c.logLevel, "log-level", "", "log level: debug, info, warn, error (default info; error with --quiet)")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress or summary on stderr (errors still)")
	fs.DurationVar(&c.progressEvery, "progress-interval", 30*time.Second, "period of the progress lines when stderr is not a terminal")
}

// setup validates the shared flags and builds the logger.
func (c *githubCommon) setup(sio IO) error {
	if !report.ValidFormat(c.format) {
		return usageError("bad --format %q: want text, json or sarif", c.format)
	}
	level := c.logLevel
	if level == "" && c.quiet {
		level = "error"
	}
	log, err := newLogger(sio.Stderr, level)
	if err != nil {
		return err
	}
	c.log, c.stdout, c.stderr = log, sio.Stdout, sio.Stderr
	c.now, c.getenv, c.environ = sio.Now, envOf(sio), environOf(sio)
	if c.now == nil {
		c.now = time.Now
	}
	return nil
}

// token is the GitHub token from the environment.
func (c *githubCommon) token() patterns.Secret {
	for _, name := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
		if v := c.getenv(name); v != "" {
			return patterns.NewSecret(v)
		}
	}
	return patterns.Secret{}
}

// client builds the GitHub API client.
func (c *githubCommon) client() (*github.Client, error) {
	cl, err := github.New(github.Options{
		APIURL: c.apiURL, Token: c.token(), Now: c.now, Sleep: c.sleep, Logger: c.log,
		UserAgent: "leakguard/" + buildVersion(),
	})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return cl, nil
}

// catalog loads the token formats (--config, else the defaults).
func (c *githubCommon) catalog() (*patterns.Catalog, error) {
	cfg, err := patterns.ResolveConfig(c.config, nil)
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
	cat, err := cfg.Catalog()
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
	return cat, nil
}

// clientCatalog builds the GitHub API client (waiting out rate limits with
// sleep, nil: the real sleeper) and loads the token formats, the start of
// every github subcommand.
func (c *githubCommon) clientCatalog(ctx context.Context, sleep github.Sleeper) (*github.Client, *patterns.Catalog, error) {
	c.sleep = sleep
	cl, err := c.client()
	if err != nil {
		return nil, nil, err
	}
	cat, err := c.catalog()
	if err != nil {
		return nil, nil, err
	}
	return cl, cat, nil
}

// sink is where a github subcommand's findings go: the report of --format
// on stdout, or in --output FILE (written atomically).
func (c *githubCommon) sink(cat *patterns.Catalog) *report.Sink {
	o := report.SinkOptions{
		Format: c.format, Stdout: c.stdout,
		Report: report.Options{Version: buildVersion(), Catalog: cat,
			Color: term.Is(c.stdout) && c.getenv("NO_COLOR") == ""},
	}
	if c.output != "" {
		o.Output = func(write func(io.Writer) error) error { return report.WriteFile(c.output, write) }
	}
	return report.NewSink(o)
}

// parseGitHubFlags parses a subcommand's flags (no positional arguments)
// with their environment twins.
func parseGitHubFlags(fs *flag.FlagSet, args []string, sio IO) error {
	err := parseFlags(fs, args, envOf(sio))
	var ee *exitError
	if errors.As(err, &ee) && errors.Is(ee.err, flag.ErrHelp) {
		return &exitError{code: exitOK}
	}
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// storeOptions are what storeopen needs besides the DSN.
func (c *githubCommon) storeOptions() storeopen.Options {
	return storeopen.Options{Getenv: c.getenv, Log: c.log, Now: c.now}
}

// newOrgScanner builds the repository scanner over the cache directory,
// which it holds locked against other processes until release
// (orgscan.Open), with GitHub's credentials for git (the token, to the
// client's git hosts only) and GitHub's blob links.
func newOrgScanner(c *githubCommon, cacheDir string, noArchives bool, cl *github.Client, token patterns.Secret, cat *patterns.Catalog) (sc *orgscan.Scanner, release func(), err error) {
	sc, release, err = orgscan.Open(cacheDir, orgscan.Options{
		Auth:       github.GitAuth{Token: token, Hosts: cl.GitHosts()},
		BlobURL:    github.BlobURL,
		BaseEnv:    c.environ,
		NoArchives: noArchives,
	}, cat, c.log)
	var held *dirlock.HeldError
	if errors.As(err, &held) {
		err = fmt.Errorf("cache directory %s is %v (github scan or worker); give each process its own --cache-dir", cacheDir, held)
	}
	if err != nil {
		return nil, nil, &exitError{code: exitFail, err: err}
	}
	return sc, release, nil
}
