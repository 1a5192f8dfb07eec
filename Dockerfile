# One image for the control plane, the worker and the one-shot migration (docker-compose.yml
# picks the command). TypeScript runs directly through tsx, as in development.
FROM node:20-slim

WORKDIR /app
# Never run as root, not even the install (its scripts run code from the registry).
RUN chown node:node /app
USER node

# Manifests first, so the dependency layer is rebuilt only when they change.
COPY --chown=node:node package.json package-lock.json .npmrc ./
COPY --chown=node:node contracts/package.json contracts/
COPY --chown=node:node control-plane/package.json control-plane/
COPY --chown=node:node workers/package.json workers/
COPY --chown=node:node console/package.json console/
COPY --chown=node:node migrations/package.json migrations/
COPY --chown=node:node ops/package.json ops/
# Not --omit=dev: tsx (a root devDependency) is the runtime loader. NODE_ENV is set below,
# after the install, so npm does not drop the devDependencies.
RUN npm ci && npm cache clean --force

COPY --chown=node:node . .
# Builds the console when the repository defines a build step.
RUN npm run build --if-present

ENV NODE_ENV=production
CMD ["node", "--import", "tsx", "control-plane/src/main.ts"]
