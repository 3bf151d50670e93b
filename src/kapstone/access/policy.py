import subprocess,sys
head=subprocess.run(["git","show","HEAD:src/kapstone/access/policy.py"],capture_output=True,text=True,check=True).stdout
work=open("src/kapstone/access/policy.py").read()
marker="    # --- Practicum and certificates (kapstone.practicum, kapstone.credentials).\n"
nxt="    # --- Case consultation (kapstone.consultation).\n"
mine=work[work.index(marker)+len(marker):work.index(nxt)]
hs=head.index(marker)+len(marker); he=head.index(nxt)
out=head[:hs]+mine+head[he:]
sys.stdout.write(out)
