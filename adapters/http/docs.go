package http

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/api"
)

// docsRoutes serves the OpenAPI document and Swagger UI from the binary.
func (h *Handler) docsRoutes(r *mux.Router) {
	r.HandleFunc("/api-docs/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(api.OpenAPI)
	}).Methods(http.MethodGet, http.MethodHead)
	index := func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, api.SwaggerUI, "index.html")
	}
	r.HandleFunc("/api-docs", index).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api-docs/", index).Methods(http.MethodGet, http.MethodHead)
	files := http.StripPrefix("/api-docs/", http.FileServerFS(api.SwaggerUI))
	r.PathPrefix("/api-docs/").Handler(files).Methods(http.MethodGet, http.MethodHead)
}
