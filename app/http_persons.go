package app

import (
	"net/http"

	"github.com/jingyun/jingyun/auth"
)

// SCAFFOLD: replaced by the persons work.
func (a *App) registerPersons(mux *http.ServeMux, g *auth.Guard) {}
