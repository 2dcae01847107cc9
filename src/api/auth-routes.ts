import type { ApiContext } from './context.ts';
import { route } from './route.ts';
import { LoginBody, RefreshBody, StreamTicket, TokenPair } from './schemas.ts';

export function authRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'post',
      path: '/api/auth/login',
      summary: 'Log in with a user name and password: an access token and a refresh token',
      tag: 'auth',
      auth: false,
      body: LoginBody,
      response: TokenPair,
      handle: async (r) => {
        const pair = await ctx.login.logIn(r.body.username, r.body.password, r.address);
        ctx.log.info({ user: r.body.username, address: r.address }, 'API log-in');
        return pair;
      },
    }),
    route({ method: 'post', path: '/api/auth/refresh', summary: 'A new token pair for a refresh token', tag: 'auth', auth: false, body: RefreshBody, response: TokenPair, handle: (r) => ctx.login.refresh(r.body.refresh_token) }),
    route({
      method: 'post',
      path: '/api/auth/stream-ticket',
      summary: "A short-lived ticket that opens the live stream (a browser's EventSource cannot send a header)",
      tag: 'auth',
      auth: true,
      response: StreamTicket,
      handle: async (r) => {
        const t = await ctx.tokens.issue(r.user!, 'stream');
        return { ticket: t.token, expires_in: t.expiresIn };
      },
    }),
  ];
}
