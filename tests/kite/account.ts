import { inputError } from './http.ts';

/** The account's static facts, shaped as Kite's samples (tests/fixtures/kite/profile.json, margins.json). */

const EXCHANGES = ['BFO', 'MCX', 'NSE', 'CDS', 'BSE', 'BCD', 'MF', 'NFO'];
const PRODUCTS = ['CNC', 'NRML', 'MIS', 'BO', 'CO'];
const ORDER_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'];

export function profile(userId: string) {
  return {
    user_id: userId,
    user_type: 'individual',
    email: `${userId.toLowerCase()}@example.com`,
    user_name: 'Alpha Panda Tester',
    user_shortname: 'Tester',
    broker: 'ZERODHA',
    exchanges: EXCHANGES,
    products: PRODUCTS,
    order_types: ORDER_TYPES,
    avatar_url: null,
    meta: { demat_consent: 'physical' },
  };
}

/** The tokens a session exchange issues. */
export interface SessionTokens {
  readonly access_token: string;
  readonly public_token: string;
  readonly enctoken: string;
}

/** POST /session/token's answer (tests/fixtures/kite/generate_session.json). */
export function session(userId: string, apiKey: string, tokens: SessionTokens, loginTime: string) {
  const { meta, ...user } = profile(userId);
  return { ...user, api_key: apiKey, ...tokens, refresh_token: '', silo: '', login_time: loginTime, meta };
}

function segment(cash: number) {
  return {
    enabled: true,
    net: cash,
    available: { adhoc_margin: 0, cash, opening_balance: cash, live_balance: cash, collateral: 0, intraday_payin: 0 },
    utilised: {
      debits: 0,
      exposure: 0,
      m2m_realised: 0,
      m2m_unrealised: 0,
      option_premium: 0,
      payout: 0,
      span: 0,
      holding_sales: 0,
      turnover: 0,
      liquid_collateral: 0,
      stock_collateral: 0,
      delivery: 0,
    },
  };
}

const MARGINS = { equity: segment(1_000_000), commodity: segment(0) };

/** GET /user/margins[/:segment]: fixed funds; the server does not block margin for orders. */
export function margins(name?: string) {
  if (name === undefined) return MARGINS;
  if (name === 'equity' || name === 'commodity') return MARGINS[name];
  throw inputError('Invalid segment.');
}
