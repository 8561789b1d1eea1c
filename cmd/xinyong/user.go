package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"xinyong/domain"
	"xinyong/storage"
)

func init() {
	commands["user"] = command{"manage accounts: user add --login L --role R --name N [--department D] [--channel C] [--uscc U] [--lead]", runUser}
}

// runUser creates an account from the command line: the first admin of a fresh production database, who then
// creates everyone else on /admin/users. It prints a temporary password that must be changed at first login.
func runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: xinyong user add --login L --role R --name N [--department D] [--channel C] [--uscc U] [--lead]")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	login := fs.String("login", "", "login name")
	role := fs.String("role", string(domain.RoleAdmin), "role: enterprise, department, credit_office, agency, channel_operator, admin")
	name := fs.String("name", "", "display name")
	dept := fs.String("department", "", "department id (role department)")
	channel := fs.String("channel", "", "channel id (role channel_operator)")
	uscc := fs.String("uscc", "", "USCC (role enterprise)")
	lead := fs.Bool("lead", false, "the department's lead (may reassign cases)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	nu := storage.NewUser{Login: strings.TrimSpace(*login), DisplayName: strings.TrimSpace(*name), Role: domain.Role(*role),
		DepartmentID: *dept, ChannelID: *channel, USCC: *uscc}
	if nu.Login == "" || nu.DisplayName == "" {
		return errors.New("--login and --name are required")
	}
	if !slices.Contains(domain.Roles, nu.Role) {
		return fmt.Errorf("unknown role %q", *role)
	}
	password, err := storage.TemporaryPassword()
	if err != nil {
		return err
	}
	nu.Password = password
	cfg := loadConfig()
	dsn, err := resolveDSN(ctx, cfg, nil)
	if err != nil {
		return err
	}
	// A fresh production database gets its schema here, so the first admin needs no other step.
	db, err := openDB(ctx, dsn, true)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.CreateUser(ctx, nu, *lead, storage.AuditEntry{Actor: "cli", Role: string(domain.RoleAdmin)})
	if err != nil {
		return err
	}
	fmt.Printf("created %s (%s, id %d)\ntemporary password: %s\n(must be changed at first login)\n", u.Login, u.Role.Label(), u.ID, password)
	return nil
}
