package pods

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// imageUser is a user of an image's /etc/passwd and /etc/group, resolved
// as container runtimes resolve the image's USER and runAsUser: a name
// through passwd (its primary group with it), a number as is (its group
// from passwd when it has an entry there, else 0), a group name through
// group; the groups that list the user as a member are added.
type imageUser struct {
	uid, gid   uint32
	additional []uint32
}

type passwdEntry struct {
	name     string
	uid, gid uint32
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// resolveUser resolves "user", "user:group", "uid" or "uid:gid" in the
// image's root file system; uid, when not nil, is runAsUser's and wins
// over the image's user.
func resolveUser(rootfs, spec string, uid *int64) (imageUser, error) {
	users, groups := readPasswd(rootfs), readGroup(rootfs)
	name, group, _ := strings.Cut(spec, ":")
	var out imageUser
	var entry *passwdEntry
	switch n, err := strconv.ParseUint(name, 10, 32); {
	case uid != nil:
		out.uid = uint32(*uid)
		entry = findUser(users, func(e passwdEntry) bool { return e.uid == out.uid })
	case name == "":
	case err == nil:
		out.uid = uint32(n)
		entry = findUser(users, func(e passwdEntry) bool { return e.uid == out.uid })
	default:
		entry = findUser(users, func(e passwdEntry) bool { return e.name == name })
		if entry == nil {
			return imageUser{}, fmt.Errorf("unable to find user %s: no matching entries in passwd file", name)
		}
		out.uid = entry.uid
	}
	if entry != nil {
		out.gid = entry.gid
	}
	if group != "" && uid == nil {
		if n, err := strconv.ParseUint(group, 10, 32); err == nil {
			out.gid = uint32(n)
		} else {
			found := false
			for _, g := range groups {
				if g.name == group {
					out.gid, found = g.gid, true
					break
				}
			}
			if !found {
				return imageUser{}, fmt.Errorf("unable to find group %s: no matching entries in group file", group)
			}
		}
	}
	if entry != nil {
		for _, g := range groups {
			for _, m := range g.members {
				if m == entry.name && g.gid != out.gid {
					out.additional = append(out.additional, g.gid)
				}
			}
		}
	}
	return out, nil
}

func findUser(users []passwdEntry, match func(passwdEntry) bool) *passwdEntry {
	for i := range users {
		if match(users[i]) {
			return &users[i]
		}
	}
	return nil
}

// imageFile opens a file of the image's root file system; a symbolic link
// is not followed (it could point out of the image, at the machine's own
// file).
func imageFile(rootfs, name string) (*os.File, error) {
	if rootfs == "" {
		return nil, os.ErrNotExist
	}
	path := filepath.Join(rootfs, name)
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return os.Open(path)
}

func readPasswd(rootfs string) []passwdEntry {
	var out []passwdEntry
	eachLine(rootfs, "etc/passwd", func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 == nil && err2 == nil {
			out = append(out, passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid)})
		}
	})
	return out
}

func readGroup(rootfs string) []groupEntry {
	var out []groupEntry
	eachLine(rootfs, "etc/group", func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return
		}
		g := groupEntry{name: f[0], gid: uint32(gid)}
		if len(f) > 3 && f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	})
	return out
}

// eachLine calls fn with the colon-separated fields of each line of the
// image's file that is not a comment.
func eachLine(rootfs, name string, fn func([]string)) {
	file, err := imageFile(rootfs, name)
	if err != nil {
		return
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}
