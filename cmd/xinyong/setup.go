package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"xinyong/storage/pgsrv"
)

func init() {
	commands["setup"] = command{"make this machine ready for the tests: Chromium, fonts, pdftotext, PostgreSQL", runSetup}
}

// setupNeed is one thing the tests need from the machine and the Debian package that provides it.
type setupNeed struct {
	what    string
	pkg     string
	present func() bool
}

// setupNeeds are the programs and files the tests use: Chromium for the page tests, LXGW WenKai for the letters,
// pdftotext to read the letters back.
var setupNeeds = []setupNeed{
	{"Chromium", "chromium", func() bool { return fileExists("/usr/bin/chromium") }},
	{"LXGW WenKai font", "fonts-lxgw-wenkai",
		func() bool { return fileExists("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf") }},
	{"pdftotext", "poppler-utils", func() bool { _, err := exec.LookPath("pdftotext"); return err == nil }},
	// deploy's topology test puts each process in a network namespace; its restore drill dumps and restores.
	{"ip (iproute2)", "iproute2", func() bool { _, err := exec.LookPath("ip"); return err == nil }},
	{"pg_dump and pg_restore", "postgresql-client", func() bool { _, err := exec.LookPath("pg_restore"); return err == nil }},
	// The page suite's accessibility check (axe-core) comes from the npm registry.
	{"npm", "npm", func() bool { _, err := exec.LookPath("npm"); return err == nil }},
}

// axeVersion is the axe-core release the page suite (workflows/e2e TestBrowserPagesOfEveryRole) runs; both look
// for it in the same cache folder.
const axeVersion = "4.11.0"

// ensureAxe installs axe-core from the npm registry into the user's cache folder, unless it is there.
func ensureAxe(ctx context.Context) error {
	cache, err := os.UserCacheDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(cache, "xinyong", "axe-core-"+axeVersion)
	if fileExists(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")) {
		return nil
	}
	fmt.Printf("setup: npm install axe-core@%s into %s\n", axeVersion, dir)
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "axe-core@"+axeVersion)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install axe-core: %w", err)
	}
	return nil
}

// runSetup installs what is missing with apt-get and makes sure the tests' PostgreSQL runs; it is quick and changes
// nothing when all is there, so CI runs it before every test run.
func runSetup(ctx context.Context, args []string) error {
	var pkgs []string
	for _, n := range setupNeeds {
		if !n.present() {
			fmt.Printf("setup: %s is missing (Debian package %s)\n", n.what, n.pkg)
			pkgs = append(pkgs, n.pkg)
		}
	}
	if !pgsrv.Available(ctx) {
		fmt.Println("setup: no PostgreSQL server, nor initdb to start one (Debian package postgresql)")
		pkgs = append(pkgs, "postgresql")
	}
	if len(pkgs) > 0 {
		if err := aptInstall(ctx, pkgs); err != nil {
			return err
		}
	}
	if err := ensureAxe(ctx); err != nil {
		return err
	}
	// The folder pgtest uses, so that the test packages find the server already running.
	_, err := pgsrv.Ensure(ctx, pgsrv.Options{
		DataDir:  pgsrv.TestDataDir(),
		Database: "postgres",
		Logf:     func(f string, a ...any) { fmt.Printf("setup: "+f+"\n", a...) },
	})
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	fmt.Println("setup: ready")
	return nil
}

// aptInstall installs pkgs, as root or through password-less sudo, refreshing the package lists only when the
// first try fails: on a machine whose lists are fresh enough that saves a slow download.
func aptInstall(ctx context.Context, pkgs []string) error {
	install := append([]string{"apt-get", "install", "-y"}, pkgs...)
	var prefix []string
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil || exec.CommandContext(ctx, "sudo", "-n", "true").Run() != nil {
			return fmt.Errorf("missing Debian packages and no root: run `sudo %s`", strings.Join(install, " "))
		}
		prefix = []string{"sudo", "-n"}
	}
	run := func(argv ...string) error {
		argv = append(append(append([]string{}, prefix...), "env", "DEBIAN_FRONTEND=noninteractive"), argv...)
		fmt.Printf("setup: %s\n", strings.Join(argv, " "))
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	if err := run(install...); err == nil {
		return nil
	}
	if err := run("apt-get", "update"); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := run(install...); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(install, " "), err)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
