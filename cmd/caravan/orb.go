package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/caravan-ci/caravan/shared/config/pack"
)

func orbCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "import" {
		return orbImport(ctx, args[1:], stdio{stdin, stdout, stderr})
	}
	if len(args) == 0 || args[0] != "pack" {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	return packCmd("orb pack", args[1:], stdout, stderr, pack.Orb)
}

// packCmd runs a pack function over the directory named in args.
func packCmd(name string, args []string, stdout, stderr io.Writer, f func(fs.FS, string) ([]byte, error)) int {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "usage: caravan %s DIR\n", name)
		return exitUsage
	}
	st, err := os.Stat(args[0])
	if err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "caravan %s: %s is not a directory\n", name, args[0])
		return exitUsage
	}
	out, err := f(os.DirFS(args[0]), ".")
	if err != nil {
		fmt.Fprintf(stderr, "caravan %s: %v\n", name, err)
		return exitInvalid
	}
	stdout.Write(out)
	return exitOK
}
