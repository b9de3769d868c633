import { bindDatagram, connectDatagram } from '@sosplice/bun-adapter';
import { udpSuite } from './_udp-suite.js';

udpSuite('bun', { bind: bindDatagram, connect: connectDatagram, receivesOver65507: true });
