package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/meta"
)

// The user verbs work on the metadata store directly, so they run beside a serving server
// (SQLite allows it) and before the first start.

// runUserCreate creates a user. The first user of an installation becomes owner of every
// existing project, as the console's set-up does.
func runUserCreate(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "user create", "printf '%s\\n' \"$PASSWORD\" | jingyun user create ops@example.com --password-stdin --name 运营小王 --owner-of 1")
	pwStdin := f.Bool("password-stdin", false, "read the password from the first line of standard input (required: passwords are never arguments)")
	name := f.String("name", "", "display name (default: the part of the email before @)")
	ownerOf := f.Uint("owner-of", 0, "also make the user owner of this project id")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"give exactly one EMAIL"}
	}
	if !*pwStdin {
		return &usageError{"give --password-stdin and the password on standard input"}
	}
	email, err := checkEmail("email", pos[0])
	if err != nil {
		return &usageError{err.Error()}
	}
	n, err := checkName("name", *name, email)
	if err != nil {
		return &usageError{err.Error()}
	}
	line, err := bufio.NewReader(io.LimitReader(env.stdin, auth.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("cannot read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := auth.CheckPassword(pw); err != nil {
		return &usageError{"password: " + err.Error()}
	}
	m, err := openMeta(f.cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	if *ownerOf != 0 {
		if _, err := m.Project(ctx, uint32(*ownerOf)); errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("cannot find project %d", *ownerOf)
		} else if err != nil {
			return err
		}
	}
	hash, err := auth.NewHasher(auth.HashParams{}).Hash(ctx, pw)
	if err != nil {
		return err
	}
	nu := meta.NewUser{Email: email, Name: n, PasswordHash: hash}
	u, owned, err := m.CreateFirstUser(ctx, nu)
	if errors.Is(err, meta.ErrAlreadySetUp) {
		u, err = m.CreateUser(ctx, nu)
	}
	if errors.Is(err, meta.ErrEmailTaken) {
		return fmt.Errorf("cannot create user: %s already exists", email)
	}
	if err != nil {
		return err
	}
	if *ownerOf != 0 && !contains(owned, uint32(*ownerOf)) {
		if err := m.AddMember(ctx, uint32(*ownerOf), u.ID, meta.OwnerRole); err != nil {
			return fmt.Errorf("cannot make the user owner of project %d: %w", *ownerOf, err)
		}
		owned = append(owned, uint32(*ownerOf))
	}
	if owned == nil {
		owned = []uint32{}
	}
	return printJSON(env.stdout, map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "owner_of": owned})
}

func contains(ids []uint32, id uint32) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// userListEntry is one line of `jingyun user list`.
type userListEntry struct {
	meta.User
	Projects []userProject `json:"projects"`
}

type userProject struct {
	ID   uint32 `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func runUserList(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "user list", "jingyun user list --data ./data")
	if _, err := f.parse(env, args); err != nil {
		return err
	}
	m, err := openMeta(f.cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	us, err := m.Users(ctx)
	if err != nil {
		return err
	}
	out := []userListEntry{}
	for _, u := range us {
		ms, err := m.Memberships(ctx, u.ID)
		if err != nil {
			return err
		}
		e := userListEntry{User: u, Projects: []userProject{}}
		for _, p := range ms {
			e.Projects = append(e.Projects, userProject{ID: p.ID, Name: p.Name, Role: p.Role})
		}
		out = append(out, e)
	}
	return printJSON(env.stdout, out)
}
