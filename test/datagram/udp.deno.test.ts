import { bindDatagram, connectDatagram } from '@sosplice/deno-adapter';
import { udpSuite } from './_udp-suite.js';

udpSuite('deno', { bind: bindDatagram, connect: connectDatagram, receivesOver65507: false });
