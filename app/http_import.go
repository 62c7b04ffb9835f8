package app

import (
	"net/http"

	"github.com/jingyun/jingyun/auth"
)

// SCAFFOLD: replaced by the import work.
func (a *App) registerImport(mux *http.ServeMux, g *auth.Guard) {}
