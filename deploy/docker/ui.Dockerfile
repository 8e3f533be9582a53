# The ML Studio web app (:3000): the React/Vite build of ui/ served by an
# unprivileged nginx, which also proxies /api/ to ml_studio
# (deploy/nginx/ui.conf.template).
#
#   docker build -f deploy/docker/ui.Dockerfile -t ml-studio/ui .   (context: the repo root)
#
# Configuration (environment, read when the container starts):
#   UI_PORT (3000), UI_ML_STUDIO_UPSTREAM (ml-studio:5001, the compose network alias)
# The build expects ui/package.json, ui/package-lock.json and `npm run build`
# writing ui/dist (Vite's default).

FROM node:20.19.5-alpine AS build
WORKDIR /ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui/ ./
RUN npm run build && test -f dist/index.html

FROM nginxinc/nginx-unprivileged:1.27.5-alpine
# The image renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/
# at start; default.conf.template replaces its stock server on :8080.
COPY deploy/nginx/ui.conf.template /etc/nginx/templates/default.conf.template
COPY --from=build /ui/dist/ /usr/share/nginx/html/
ENV UI_PORT=3000 \
    UI_ML_STUDIO_UPSTREAM=ml-studio:5001 \
    NGINX_ENTRYPOINT_LOCAL_RESOLVERS=1 \
    NGINX_ENVSUBST_FILTER=^(UI_|NGINX_LOCAL_RESOLVERS) \
    NGINX_ENTRYPOINT_QUIET_LOGS=1
# 101 is the image's nginx user.
USER 101:101
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD wget -q -O /dev/null "http://127.0.0.1:${UI_PORT}/healthz" || exit 1
