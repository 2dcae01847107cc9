# Alpha Panda. Node 22 LTS runs the TypeScript directly (type stripping): no build step.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` devDependency only pins Node for npm scripts on hosts; the image already has Node 22.
RUN npm ci --omit=dev --no-fund --no-audit
COPY src ./src
COPY actors ./actors
COPY supervisors ./supervisors
COPY config ./config
COPY data ./data
COPY tsconfig.json ./
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["run", "--bus", "kafka", "--no-status"]
