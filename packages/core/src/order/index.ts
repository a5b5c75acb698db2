export { isOpenOrderState, orderStateMachine, orderStates, type OrderState } from './order-state.js';
