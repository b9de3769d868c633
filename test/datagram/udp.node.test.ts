import { bindDatagram, connectDatagram } from '@sosplice/node-adapter';
import { udpSuite } from './_udp-suite.js';

udpSuite('node', { bind: bindDatagram, connect: connectDatagram, receivesOver65507: true });
