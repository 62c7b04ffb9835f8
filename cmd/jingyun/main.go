// Command jingyun is the Jingyun (精运) server and command line: `jingyun serve` runs the
// collector, loader and API; `jingyun help` lists the other verbs.
package main

import (
	"os"

	"github.com/jingyun/jingyun/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:]))
}
