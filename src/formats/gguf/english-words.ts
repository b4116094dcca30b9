/**
 * A small fixed English word list that seeds generated vocabularies, so generated models
 * tokenize ordinary prompts into word pieces instead of single bytes.
 */

/** Common words of children's stories and chat prompts, most frequent first. */
export const ENGLISH_WORDS: readonly string[] = (
  'the a and to was he she it of in they her his you i that with said on for is had there one day ' +
  'little big time once upon were but be at so as all what when very not have are this can do we ' +
  'my me up out go went get got saw see like loved love play played happy friend friends mom dad ' +
  'girl boy named lily tim ben sue dog cat bird tree park house home ball toy toys sun sky water ' +
  'fun good new old nice red blue green yellow run ran jump walk look looked want wanted help ' +
  'helped make made come came find found could would should will from into about after before ' +
  'then now how who why where which your our their them him us no yes hello hi thank thanks please ' +
  'sorry answer question user assistant system tool function name value number text json true ' +
  'false null list item items data model server request response error hello world test example ' +
  'story tell write read word words short long first last next more most some any many much each ' +
  'other over under again always never because while until if or an by has did does done said ' +
  'say says think know knew feel felt hug smile sad mad scared brave kind strong fast slow hot cold ' +
  'day night morning food eat ate cake apple tea car boat train book school teacher class rain snow'
).split(' ');
