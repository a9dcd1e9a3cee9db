/**
 * `@parley/delivery`: owner-directed push — the device's stream, as its owner scoped it, to an
 * HTTPS webhook or an MQTT topic the owner named. Runs from the log in its own consumer group.
 */
export { startDelivery, DELIVERY_GROUP, type Delivery, type DeliveryOptions, type DeliveryStats } from './delivery';
export { retryDelayMs, type DispatcherOptions } from './dispatcher';
export { scopedMessage, type MessageScope } from './message';
export { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, signBody, verifySignature } from './signature';
export { checkDestinationUrl, isBlockedAddress, type TargetPolicy } from './targets';
