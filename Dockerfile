# syntax=docker/dockerfile:1
# One image for the API, the worker and the migrations; docker-compose.yml picks the command.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# Applied to the installed dependencies by the postinstall script (patch-package).
COPY patches ./patches
# `npm install`, not `npm ci`: the lock records only its author's platform's optional native binaries
# (esbuild, swc), which `npm ci` refuses; `npm install` keeps the locked versions and adds this platform's.
# Dev dependencies are kept on purpose: tsx runs the TypeScript sources in production.
RUN --mount=type=cache,target=/root/.npm \
    npm install --loglevel=error \
 && test -d node_modules/@temporalio/worker

FROM deps AS build
COPY . .
# The worker loads this prebuilt bundle (worker/main.ts) instead of running webpack at startup.
RUN npx tsx worker/build-bundle.ts

FROM node:20-bookworm-slim
WORKDIR /app
# Set only here: NODE_ENV=production during `npm install` would drop tsx with the dev dependencies.
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false
# Left owned by root: the app never writes here, so the node user cannot modify its own code.
COPY --from=build /app /app
USER node
EXPOSE 3000
# The API's heap sized as in scripts/start and docker-compose.yml.
CMD ["node", "--max-old-space-size=256", "--import", "tsx", "api/main.ts"]
