export { createStoreServer, type StoreServer, type StoreServerOptions } from './app';
export { parseRequest, prelude, parseInsert, type ParsedRequest } from './http-request';
