export { defineStateMachine, type StateMachine, type StateMachineDefinition } from './state-machine.js';
