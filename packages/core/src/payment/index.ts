export { paymentStateFromAmounts, paymentStateMachine, paymentStates, type PaymentAmounts, type PaymentState } from './payment-state.js';
