// Types of _proc-sockets.mjs, for the TypeScript tests.
export declare function tcpTable(): Array<{ local: string; remote: string; inode: string }>;
export declare function socketFds(): Map<number, string>;
export declare function procSockets(): number;
export declare function tcpFd(localPort: number, remotePort: number): number;
