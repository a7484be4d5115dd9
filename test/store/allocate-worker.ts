// Run as a separate process by concurrent-allocation.test.ts: creates one VM in the given database.
import { newVmId } from '../../src/domain/vm.js';
import { openDatabase } from '../../src/store/db.js';
import { VmRepository } from '../../src/store/vm-repository.js';

const [file, name] = process.argv.slice(2);
if (!file || !name) throw new Error('usage: allocate-worker DB NAME');
const repo = new VmRepository(openDatabase(file));
const vm = repo.create(
  { id: newVmId(), name, image: 'img', vcpu: 1, memoryMib: 256, diskBytes: 1024 ** 3, nat: false },
  { cidr: '172.16.0.0/24', gateway: '172.16.0.1' },
);
process.stdout.write(vm.guestIp);
