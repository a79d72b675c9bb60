#!/usr/bin/env python3
# How much of the corpus lazy bodies could leave unparsed (README, Performance):
# fn bodies with no trigger word, and those that cannot reach one through a call by
# name. Usage: scripts/corpus.sh > /tmp/corpus.dirs; scripts/lazy-bodies.py [--no-reach]
# With --blank OUT it instead writes a copy of every corpus package under OUT with the
# inside of each body holding no trigger word replaced by spaces (line breaks kept),
# for measuring the ceiling: asynclint check --no-cache --threads 1 OUT/*
import os, re, sys, collections, shutil
NO_REACH = '--no-reach' in sys.argv
BLANK = sys.argv[sys.argv.index('--blank') + 1] if '--blank' in sys.argv else None
TOK = re.compile(r'''(?x)
 (?P<lc>//[^\n]*) | (?P<bc>/\*) | (?P<rs>b?r(?P<h>\#*)") | (?P<s>b?"(?:\\.|[^"\\])*") |
 (?P<ch>b?'(?:\\.|[^'\\])'(?!')) | (?P<lt>'[A-Za-z_]\w*) | (?P<id>[A-Za-z_]\w*) | (?P<num>\d[\w.]*) |
 (?P<p>[{}();,.!:#\[\]<>=&*?|+\-/%^@$~]) | (?P<ws>\s+) | (?P<o>.)''', re.S)
def lex(t):
    i=0; n=len(t); out=[]
    while i<n:
        m=TOK.match(t,i)
        if not m: i+=1; continue
        k=m.lastgroup
        if k=='bc':
            d=1; j=m.end()
            while j<n and d:
                if t.startswith('/*',j): d+=1; j+=2
                elif t.startswith('*/',j): d-=1; j+=2
                else: j+=1
            i=j; continue
        if k=='rs' or k=='h':
            h=m.group('h'); end=t.find('"'+h, m.end()); i = n if end<0 else end+1+len(h); continue
        if k in('id','p','s','num','ch','lt','o'):
            if k in ('id','p'): out.append((m.group(), m.start()))
            else: out.append(('#lit', m.start()))
        i=m.end()
    return out
TRIG=set('''async await spawn spawn_blocking spawn_local block_on Future poll Poll Pin Waker Context
 channel unbounded unbounded_channel bounded mpsc oneshot broadcast watch
 File fs net thread sleep Command Mutex RwLock Client connect bind accept Condvar Barrier TcpStream TcpListener UdpSocket UnixStream
 reqwest hyper tokio async_std smol futures select join_all timeout Runtime Handle block_in_place output status read_to_string read_to_end write_all flush
 std_fs OpenOptions remove_file create_dir_all metadata canonicalize argon2 bcrypt scrypt to_socket_addrs lookup_host stdin JoinHandle JoinSet abort
 Notify Semaphore'''.split())
def bodies(toks):
    # find fn NAME ... { body } ; return list (name, start, end, words)
    res=[]; i=0; n=len(toks)
    while i<n:
        if toks[i][0]=='fn' and i+1<n and re.match(r'[A-Za-z_]',toks[i+1][0]):
            name=toks[i+1][0]; j=i+2; depth=0
            while j<n:
                tk=toks[j][0]
                if tk in '([' : depth+=1
                elif tk in ')]': depth-=1
                elif tk==';' and depth==0: j=-1; break
                elif tk=='{' and depth==0: break
                j+=1
            if j<0 or j>=n: i+=2; continue
            d=0; k=j
            while k<n:
                if toks[k][0]=='{': d+=1
                elif toks[k][0]=='}':
                    d-=1
                    if d==0: break
                k+=1
            words=set(t for t,_ in toks[j:k] if t[0].isalpha() or t[0]=='_')
            endpos = toks[k][1] if k<n else toks[-1][1]
            res.append((name, toks[j][1], endpos, words))
            i=j+1  # nested fns also found
            continue
        i+=1
    return res
def blank_copy(src, dst):
    tot = blanked = 0
    for root, _, fs in os.walk(src):
        for f in fs:
            p = os.path.join(root, f); q = os.path.join(dst, os.path.relpath(p, src))
            os.makedirs(os.path.dirname(q), exist_ok=True)
            try: t = open(p, encoding='utf-8').read() if f.endswith('.rs') else None
            except Exception: t = None
            if t is None:
                shutil.copy(p, q); continue
            out = []; i = 0; last = -1
            for (_, s, e, w) in sorted(bodies(lex(t)), key=lambda x: x[1]):
                if s < last or w & TRIG: continue
                out.append(t[i:s + 1]); out.append(''.join(c if c == '\n' else ' ' for c in t[s + 1:e]))
                i = last = e; blanked += e - s - 1
            out.append(t[i:]); tot += len(t)
            open(q, 'w', encoding='utf-8').write(''.join(out))
    return tot, blanked
if BLANK:
    tot = blanked = 0
    for d in open('/tmp/corpus.dirs').read().split():
        a, b = blank_copy(d, os.path.join(BLANK, os.path.basename(d)))
        tot += a; blanked += b
    print(f"bytes {tot} blanked {blanked} ({blanked / max(tot, 1):.3f})")
    sys.exit(0)
tot=0; bodybytes=0; skip=0; nfn=0; nskip=0
for d in open('/tmp/corpus.dirs').read().split():
    fns=[]; size=0
    for root,_,fs in os.walk(d):
        for f in fs:
            if f.endswith('.rs'):
                try: t=open(os.path.join(root,f),encoding='utf-8').read()
                except Exception: continue
                fns+=[(a,b+size,c+size,w) for a,b,c,w in bodies(lex(t))]
                size+=len(t)
    tot+=size
    # relevance by name reachability
    byname=collections.defaultdict(list)
    for idx,(nm,s,e,w) in enumerate(fns): byname[nm].append(idx)
    rel=[bool(w & TRIG) for (_,_,_,w) in fns]
    callers=collections.defaultdict(list)
    for idx,(nm,s,e,w) in enumerate(fns):
        for x in w:
            if x in byname: callers[x].append(idx)
    work=[] if NO_REACH else [fns[i][0] for i in range(len(fns)) if rel[i]]
    seen=set()
    while work:
        nm=work.pop()
        if nm in seen: continue
        seen.add(nm)
        for c in callers.get(nm,()):
            if not rel[c]: rel[c]=True; work.append(fns[c][0])
            elif fns[c][0] not in seen: work.append(fns[c][0])
    # outermost bodies only for byte accounting
    fns_sorted=sorted(range(len(fns)), key=lambda i:(fns[i][1]))
    for i,(nm,s,e,w) in enumerate(fns):
        nfn+=1
        if not rel[i]: nskip+=1
    # byte accounting: sum of non-relevant bodies not nested in another non-relevant body
    ivs=sorted((fns[i][1],fns[i][2],rel[i]) for i in range(len(fns)))
    last_end=-1; b=0; sk=0
    for s,e,r in ivs:
        if s>=last_end:
            b+=e-s
            last_end=e
    # skipped: non-relevant bodies, whose inner bodies ... approximate: outermost non-rel
    last=-1
    for s,e,r in ivs:
        if not r and s>=last: sk+=e-s; last=e
    bodybytes+=b; skip+=sk
    print(f"{os.path.basename(d):40s} size {size:>9} bodies {b:>9} skip {sk:>9} {sk/max(size,1):.2f}", flush=True)
print("TOTAL size",tot,"bodies",bodybytes,"skip",skip, skip/tot, "fns",nfn,"skipfns",nskip)
